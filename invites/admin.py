"""The moderation console for the invites app's models."""
