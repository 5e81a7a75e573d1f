"""The one Celery app. Its configuration is the CELERY_* block of ciel/settings.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciel.settings")

app = Celery("ciel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
