"""The client's address, as seen through the load balancers we run behind."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address of whoever connected to our outermost proxy.

    Each of the ``TRUSTED_PROXY_COUNT`` proxies appends the address it received the request from
    to X-Forwarded-For, so the client is that many entries from the right; entries further left
    were written by the client and prove nothing. With no proxies, REMOTE_ADDR is the client.
    """
    remote = request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 — unknown, not a bind
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
