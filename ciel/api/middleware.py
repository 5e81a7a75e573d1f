"""Request plumbing that must run before any view."""

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware.gzip import GZipMiddleware

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


# GET responses that carry credentials: export download links (presigned URLs to a user's
# whole data), invite codes (each one an account), and everything under auth/ should it ever
# answer a GET.
UNCOMPRESSED_PATHS = re.compile(r"^/api/v1/(auth/|account/exports?\b|invites\b)")


class CompressionMiddleware(GZipMiddleware):
    """Django's GZipMiddleware for reads, never for responses that carry credentials.

    BREACH recovers a secret from the compressed size of responses that also reflect input
    the attacker chose. Three things keep it away from the API: its credentials travel in an
    Authorization header that a cross-site attacker cannot make a browser attach (no cookie
    auth outside the admin, whose CSRF tokens Django masks per response); GZipMiddleware pads
    each response with up to 100 random bytes ("Heal the BREACH"); and this rule, which
    compresses only GET and HEAD and skips the paths above. Every response that mints a
    credential — token pairs (signup, login, refresh, password change), presigned upload
    policies, a new export — answers a POST, and those are small: compressing them would save
    little and risk the most. The big responses, feed and list pages, are GETs; they compress
    about tenfold. Bodies under 200 bytes stay as they are (GZipMiddleware's own rule).
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD") or UNCOMPRESSED_PATHS.match(request.path_info):
            return response
        return super().process_response(request, response)
