"""The moderation console for the posts app's models."""
