"""Input and output serializers of the accounts app, kept apart."""
