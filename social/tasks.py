"""Celery tasks of the social graph app: take ids, call a service, safe to run twice."""
