"""The moderation console for the social graph app's models."""
