"""WSGI entry point: ``gunicorn ciel.wsgi``."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciel.settings")

application = get_wsgi_application()

# Everything loaded so far (Django, the apps, the URL map) lives as long as the process: moved
# out of the collector's generations, it is no longer walked by every full collection (which
# stalled requests for ~200 ms on these machines), and forked workers (gunicorn's preload_app)
# keep sharing its memory pages instead of copying them when the collector touches them.
gc.freeze()
