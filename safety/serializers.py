"""Input and output serializers of the safety app, kept apart."""
