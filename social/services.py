"""Writes of the social graph app: keyword-only, typed, atomic functions named <noun>_<verb>."""
