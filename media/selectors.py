"""Reads of the media app: one function per use case."""
