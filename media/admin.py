"""The moderation console for the media app's models."""
