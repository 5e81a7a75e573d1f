"""Celery tasks of the invites app: take ids, call a service, safe to run twice."""
