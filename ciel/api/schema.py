"""OpenAPI generation: drf-spectacular's AutoSchema plus the error responses every view can give.

Views declare their success responses; the errors come from the plumbing (parser, permissions,
pagination, rate limits), so they are added here once rather than on every view.
"""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import permissions, serializers

from ciel.api.caching import is_conditional_read


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `rate_limited`.")
    message = serializers.CharField(help_text="A sentence a client can show.")
    fields = serializers.DictField(  # type: ignore[assignment]  # popped by the metaclass
        child=serializers.JSONField(),
        required=False,
        help_text="Validation errors by field name (validation errors only).",
    )


class ErrorSerializer(serializers.Serializer):
    """The envelope of every error response (SPEC §2)."""

    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    "400": "Invalid input or malformed JSON (`validation_error`).",
    "401": "Missing, invalid or expired access token.",
    "403": "Not allowed (`permission_denied`, `account_banned`, `device_blocked`).",
    "404": "No such object, or one the caller may not see (`not_found`).",
    "413": "Request body too large (`payload_too_large`).",
    "415": "The request body is not JSON (`unsupported_media_type`).",
    "429": "Rate limited (`rate_limited`); see the Retry-After header.",
    "503": "A dependency is unavailable or too slow (`unavailable`); retry later.",
}


# Reads decorated with ciel.api.caching.conditional_read: the validators and the 304.
CONDITIONAL_READ_PARAMETERS = [
    OpenApiParameter(
        "If-None-Match",
        str,
        OpenApiParameter.HEADER,
        description="The ETag of the copy the client holds; if it is still current, the "
        "answer is 304 with no body.",
    ),
    OpenApiParameter(
        "ETag",
        str,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="Identifies this representation (it differs per viewer); send it back "
        "in If-None-Match.",
    ),
]
NOT_MODIFIED = OpenApiResponse(
    description="Not Modified: the If-None-Match ETag is still current; reuse the cached copy."
)


class AutoSchema(openapi.AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._is_conditional_read():
            parameters += CONDITIONAL_READ_PARAMETERS
        return parameters

    def _get_response_bodies(self, direction: openapi.Direction = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if self._is_conditional_read():
            responses["304"] = self._get_response_for_code(NOT_MODIFIED, "304", direction=direction)
        error = self._get_response_for_code(ErrorSerializer, "400", direction=direction)
        for status_code in self._error_status_codes():
            responses.setdefault(
                status_code, {**error, "description": ERROR_DESCRIPTIONS[status_code]}
            )
        return responses

    def _is_conditional_read(self) -> bool:
        return is_conditional_read(getattr(self.view, self.method.lower(), None))

    def _error_status_codes(self) -> list[str]:
        codes = []
        has_body = self.method in ("POST", "PUT", "PATCH")
        # Request headers (If-None-Match) are never refused with a 400.
        has_parameters = any(p["in"] != "header" for p in self._get_parameters())
        if has_body or has_parameters:
            codes.append("400")
        if not self._allows_anyone():
            codes += ["401", "403", "429"]
        # A path parameter, or a body naming other objects, can point at nothing visible.
        if "{" in self.path or (has_body and not self._allows_anyone()):
            codes.append("404")
        if has_body:
            codes += ["413", "415"]
        # Any operation can meet an unreachable or overloaded database (ciel.api.errors).
        codes.append("503")
        return codes

    def _allows_anyone(self) -> bool:
        return all(
            isinstance(permission, permissions.AllowAny)
            for permission in self.view.get_permissions()
        )


def error_response(description: str) -> OpenApiResponse:
    """An error response for @extend_schema, for statuses the plumbing does not add by itself."""
    return OpenApiResponse(ErrorSerializer, description=description)
