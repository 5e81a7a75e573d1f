"""Celery tasks of the posts app: take ids, call a service, safe to run twice."""
