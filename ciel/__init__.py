"""Ciel: project settings, root URLs, the Celery app and the shared API plumbing."""

from ciel.celery import app as celery_app

__all__ = ["celery_app"]
