"""The request id and user id of the work in progress, carried into every log line.

A request gets an id at the door (the load balancer's ``X-Request-ID`` when it is a sane token,
a new one otherwise), answers with it, and hands it to the Celery tasks it queues, so one id
follows an action from the API through the workers. Context variables rather than thread
locals: they are also right under an async server or a threaded worker.
"""

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# Only a short token is echoed into logs and headers: nothing a client sends can forge a log line.
ACCEPTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
user_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("user_id", default=None)


def request_id_new() -> str:
    return uuid.uuid4().hex


def user_id_bind(user_id: Any) -> None:
    """Called by authentication once it knows who is asking."""
    user_id_var.set(str(user_id))


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if ACCEPTED_REQUEST_ID.fullmatch(incoming) else request_id_new()
        request_token = request_id_var.set(request_id)
        user_token = user_id_var.set(None)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(request_token)
            user_id_var.reset(user_token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` and ``user_id`` to each record a handler emits (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.user_id = user_id_var.get()
        return True
