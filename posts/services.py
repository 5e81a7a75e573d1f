"""Writes of the posts app: keyword-only, typed, atomic functions named <noun>_<verb>."""
