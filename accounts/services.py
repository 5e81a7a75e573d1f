"""Writes of the accounts app: keyword-only, typed, atomic functions named <noun>_<verb>."""
