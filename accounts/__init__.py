"""The user model, authentication, sessions and profiles."""
