"""The one Celery app. Its configuration is the CELERY_* block of ciel/settings.py."""

import os
from typing import Any

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciel.settings")

app = Celery("ciel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id of the API request that queued a task travels in the message headers, so the
# task's log lines share it; a task queued by beat or another task gets its own task id instead.
REQUEST_ID_HEADER = "ciel_request_id"


@before_task_publish.connect
def _request_id_to_headers(headers: dict[str, Any] | None = None, **_: Any) -> None:
    from ciel.request_context import request_id_var

    request_id = request_id_var.get()
    if headers is not None and request_id:
        headers[REQUEST_ID_HEADER] = request_id


@task_prerun.connect
def _request_id_from_headers(task: Any = None, task_id: str | None = None, **_: Any) -> None:
    from ciel.request_context import request_id_var, user_id_var

    request_id_var.set(getattr(task.request, REQUEST_ID_HEADER, None) or task_id)
    user_id_var.set(None)


@worker_ready.connect
def _metrics_serve(**_: Any) -> None:
    """A worker's /metrics, on WORKER_METRICS_PORT when set (the API's /metrics cannot see a
    worker on another host). The prefork children count into PROMETHEUS_MULTIPROC_DIR files,
    which this endpoint adds up; without that directory only the parent's metrics would show."""
    from django.conf import settings
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

    if not settings.WORKER_METRICS_PORT:
        return
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(settings.WORKER_METRICS_PORT, registry=registry)


@task_postrun.connect
def _request_id_clear(**_: Any) -> None:
    from ciel.request_context import request_id_var

    request_id_var.set(None)
