"""Reads of the safety app: one function per use case."""
