"""WSGI entry point: ``gunicorn ciel.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciel.settings")

application = get_wsgi_application()
