"""Request plumbing that must run before any view."""

import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
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


API_PREFIX = "/api/v1/"


class _OutsideApi:
    """Runs ``wrapped`` (a middleware of the admin) for every path but the API's.

    The API authenticates each request with its bearer token (DRF) and never reads a session,
    ``request.user`` before DRF sets it, or a message; yet sessions, CSRF, authentication and
    messages took ~0.3 ms of every API request on these machines, ~5 % of a home feed page.
    The admin, the schema's pages and everything else keep them. CSRF is not wrapped (see
    MIDDLEWARE in ciel/settings.py).
    """

    wrapped: type
    # Synchronous only: under ASGI, Django adapts it rather than handing it a coroutine.
    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.inner = self.wrapped(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return self.inner(request)


def outside_api(middleware: type) -> type:
    """``middleware``, skipped for the API's paths (see _OutsideApi). A subclass of it, for
    Django's checks (the admin's require sessions, authentication and messages); only as a
    type, though: the instance Django holds never runs ``middleware.__init__``, and all the
    work is done by the real instance it wraps (``inner``)."""
    # Django calls these hooks only on the instances that have them, and this wrapper forwards
    # none: it must not hide one (sessions, authentication and messages have none).
    for hook in ("process_view", "process_exception", "process_template_response"):
        if hasattr(middleware, hook):
            raise TypeError(f"{middleware.__name__}.{hook} would be skipped by outside_api")
    return type(
        f"{middleware.__name__}OutsideApi", (_OutsideApi, middleware), {"wrapped": middleware}
    )


SessionMiddleware = outside_api(sessions.SessionMiddleware)
AuthenticationMiddleware = outside_api(auth.AuthenticationMiddleware)
MessageMiddleware = outside_api(messages.MessageMiddleware)
