"""Invite codes and the invite tree."""
