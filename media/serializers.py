"""Input and output serializers of the media app, kept apart."""
