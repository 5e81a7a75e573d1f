"""Input and output serializers of the feed app, kept apart."""
