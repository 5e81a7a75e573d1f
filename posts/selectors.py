"""Reads of the posts app: one function per use case."""
