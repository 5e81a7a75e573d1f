"""The moderation console for the feed app's models."""
