"""Request plumbing that must run before any view."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from ciel.api.errors import error_body


class RequestBodyLimitMiddleware:
    """Answers 413 for a body whose declared length is over ``API_MAX_BODY_BYTES``.

    It refuses before reading, so an oversized upload costs nothing but its headers. Bodies
    without a Content-Length are bounded by the JSON parser instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._declared_length(request) > settings.API_MAX_BODY_BYTES:
            return JsonResponse(
                error_body(
                    "payload_too_large",
                    f"The request body is over {settings.API_MAX_BODY_BYTES} bytes.",
                ),
                status=413,
            )
        return self.get_response(request)

    @staticmethod
    def _declared_length(request: HttpRequest) -> int:
        try:
            return int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 0


class NulByteMiddleware:
    """Answers 400 for a NUL byte in the path or the query string.

    PostgreSQL text cannot hold NUL, so such a value would otherwise reach a query and fail
    there as a 500. Bodies are covered by DRF's CharField, which refuses NUL already.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path_info or "%00" in query or "\x00" in query:
            return JsonResponse(
                error_body("validation_error", "The URL contains a NUL byte."), status=400
            )
        return self.get_response(request)
