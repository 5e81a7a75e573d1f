"""Models of the social graph app."""
