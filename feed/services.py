"""Writes of the feed app: keyword-only, typed, atomic functions named <noun>_<verb>."""
