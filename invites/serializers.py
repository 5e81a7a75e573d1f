"""Input and output serializers of the invites app, kept apart."""
