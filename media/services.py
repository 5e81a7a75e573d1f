"""Writes of the media app: keyword-only, typed, atomic functions named <noun>_<verb>."""
