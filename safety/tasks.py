"""Celery tasks of the safety app: take ids, call a service, safe to run twice."""
