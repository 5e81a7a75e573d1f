"""Input and output serializers of the social graph app, kept apart."""
