"""Reads of the feed app: one function per use case."""
