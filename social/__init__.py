"""Follows, blocks, relationships and notifications."""
