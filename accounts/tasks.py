"""Celery tasks of the accounts app: take ids, call a service, safe to run twice."""
