"""Exceptions with a status and a stable code, raised by services and plumbing for clients to see.

Kept apart from ``ciel.api.errors`` (which imports DRF's views) so parsers and services can
import them without a cycle.
"""

import datetime
import math
import time

from rest_framework import exceptions, status


class ApiError(exceptions.APIException):
    """An error with a status and a stable code, raised by services for the client to see."""

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(detail=message, code=code)


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class PayloadTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class RateLimited(ApiError):
    """429 with the headers of SPEC §2: Retry-After and X-RateLimit-Limit/-Remaining/-Reset."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many requests. Try again later."
    default_code = "rate_limited"

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float = 60,
        limit: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        # DRF's handler turns `wait` into Retry-After.
        self.wait = max(1, math.ceil(retry_after))
        self.limit = limit

    def headers(self) -> dict[str, str]:
        if self.limit is None:
            return {}
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(time.time()) + self.wait),
        }


class AccountBanned(ApiError):
    """403 ``account_banned``, with the ban's end in the body (``ends_at``)."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "account_banned"

    def __init__(self, ends_at: datetime.datetime | None) -> None:
        until = f" until {ends_at:%Y-%m-%d %H:%M} UTC" if ends_at else ""
        super().__init__(f"This account is suspended{until}.")
        self.ends_at = ends_at


class DeviceBlocked(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "Sign-ups and logins from this device are blocked."
    default_code = "device_blocked"


class Unavailable(ApiError):
    """503 ``unavailable``: a dependency failed or was too slow; the same request may succeed
    if tried again."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is unavailable. Try again shortly."
    default_code = "unavailable"
