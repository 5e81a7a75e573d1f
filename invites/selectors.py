"""Reads of the invites app: one function per use case."""
