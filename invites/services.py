"""Writes of the invites app: keyword-only, typed, atomic functions named <noun>_<verb>."""
