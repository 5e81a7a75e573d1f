"""Reads of the social graph app: one function per use case."""
