"""The one error envelope of the API (SPEC §2).

``{"error": {"code": "...", "message": "...", "fields": {...}}}`` — ``fields`` only for
validation errors. Every error DRF raises goes through ``exception_handler``; errors Django
raises before a view runs (unknown path, bad Host header, a crash) go through the ``handler*``
views that ``ciel.urls`` installs.
"""

import logging
from typing import Any

import psycopg
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ciel.api.exceptions import AccountBanned, RateLimited, Unavailable
from ciel.api.network import client_ip

logger = logging.getLogger(__name__)
security_log = logging.getLogger("ciel.security")

# DRF's own codes, renamed to the spec's vocabulary. Codes not listed pass through.
DRF_CODE_TO_API_CODE = {
    "invalid": "validation_error",
    "parse_error": "validation_error",
    "authentication_failed": "token_invalid",
    "throttled": "rate_limited",
}


def error_body(code: str, message: str, fields: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


def _first_code(codes: Any) -> str | None:
    """The code of a single-detail exception (a string), or None for a dict or list of them."""
    return codes if isinstance(codes, str) else None


def _envelope_for(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        return error_body("validation_error", "Invalid input.", _fields_of(exc.detail))
    drf_code = _first_code(exc.get_codes()) or exc.default_code
    code = DRF_CODE_TO_API_CODE.get(drf_code, drf_code)
    return error_body(code, str(exc.detail))


def _fields_of(detail: Any) -> dict[str, Any]:
    """Validation details as ``{field: [messages]}``; a bare list becomes ``non_field_errors``."""
    if isinstance(detail, dict):
        return {key: _messages_of(value) for key, value in detail.items()}
    return {"non_field_errors": _messages_of(detail)}


def _messages_of(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _messages_of(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_messages_of(item) for item in detail]
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with the envelope as the body. Unknown exceptions still propagate (500)."""
    if isinstance(exc, Ratelimited):
        exc = RateLimited()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, OperationalError):
        exc = _database_unavailable(exc, context)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    response.data = _envelope_for(exc)
    if isinstance(exc, AccountBanned) and exc.ends_at is not None:
        response.data["error"]["ends_at"] = exc.ends_at.isoformat()
    if isinstance(exc, RateLimited):
        for header, value in exc.headers().items():
            response[header] = value
        _log_rate_limited(context)
    return response


def _database_unavailable(exc: OperationalError, context: dict[str, Any]) -> Unavailable:
    """A statement cancelled by ``statement_timeout``, a lost or refused connection, a deadlock:
    the database could not answer this time, and the client may retry (503, not a 500)."""
    request = context.get("request")
    where = f"{request.method} {request.path}" if request is not None else "?"
    cause = exc.__cause__
    first_line = str(cause).split("\n", 1)[0]
    logger.warning("database unavailable for %s: %s: %s", where, type(cause).__name__, first_line)
    if isinstance(cause, psycopg.errors.QueryCanceled):
        return Unavailable("The request took too long and was stopped. Try again shortly.")
    return Unavailable("The database is unavailable. Try again shortly.")


def _log_rate_limited(context: dict[str, Any]) -> None:
    request = context.get("request")
    if request is None:
        return
    security_log.info(
        "rate_limited method=%s path=%s ip=%s",
        request.method,
        request.path,
        client_ip(request),
    )


# --- Django-level handlers, for errors raised outside DRF views -----------------------------------


def _json_error(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status_code)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(400, "validation_error", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(403, "permission_denied", "You do not have permission to do this.")


@csrf_exempt  # also the catch-all of unknown /api/ paths, which any method may reach
def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(404, "not_found", "Not found.")


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return _json_error(403, "permission_denied", "The request's CSRF check failed.")


def server_error(request: HttpRequest) -> JsonResponse:
    return _json_error(500, "server_error", "Something went wrong on our side. Try again later.")
