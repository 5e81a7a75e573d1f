"""Input and output serializers of the posts app, kept apart."""
