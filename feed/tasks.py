"""Celery tasks of the feed app: take ids, call a service, safe to run twice."""
