"""Celery tasks of the media app: take ids, call a service, safe to run twice."""
