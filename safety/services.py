"""Writes of the safety app: keyword-only, typed, atomic functions named <noun>_<verb>."""
