"""Reads of the accounts app: one function per use case."""
