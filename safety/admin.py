"""The moderation console for the safety app's models."""
