"""Models of the invites app."""
