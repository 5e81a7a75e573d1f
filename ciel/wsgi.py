"""WSGI entry point: ``gunicorn ciel.wsgi``."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciel.settings")

application = get_wsgi_application()
# Import the URL map now, and with it every view, serializer and schema module: otherwise the
# first request of each process does it (~0.3 s here), which under gunicorn's preload_app
# means in every freshly forked worker, including each one max_requests recycles.
get_resolver().resolve("/healthz")

# Everything loaded so far (Django, the apps, the URL map) lives as long as the process: moved
# out of the collector's generations, it is no longer walked by every full collection (which
# stalled requests for ~200 ms on these machines), and forked workers (gunicorn's preload_app)
# keep sharing its memory pages instead of copying them when the collector touches them.
gc.freeze()
