"""Opaque keyset ("cursor") pagination: ``?limit=&cursor=`` → ``{results, next_cursor}``.

Written here rather than using DRF's ``CursorPagination`` because that one keys on the first
ordering field only and breaks ties with an offset inside the cursor: pages over many rows with
the same ``created_at`` cost an O(offset) scan, and an insert between two requests can repeat or
skip rows. This one keys on every ordering field, so ``(created_at, id)`` is an exact position
and each page is one index range scan of ``limit + 1`` rows.

The ordering fields must be non-null and, taken together, unique (end with ``id``).

Cursors are signed (``django.core.signing``, keyed by the secret key): the server accepts only
positions it issued, so no crafted value (an out-of-range time zone, a huge number, deep JSON)
ever reaches a query or a parser. A tampered or foreign cursor is a 400.
"""

import datetime
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class CursorPagination(BasePagination):
    """Keyset pagination over ``view.cursor_ordering`` (default newest first)."""

    ordering: tuple[str, ...] = ("-created_at", "-id")

    def paginate_queryset(  # type: ignore[override]  # keyset needs a QuerySet, not a list
        self, queryset: QuerySet, request: Request, view: APIView | None = None
    ) -> list[Any]:
        ordering = tuple(getattr(view, "cursor_ordering", self.ordering))
        limit = self.limit_from(request)
        position = self._position_from(request, queryset, ordering)
        queryset = queryset.order_by(*ordering)
        if position is not None:
            queryset = queryset.filter(_after(ordering, position))
        rows = list(queryset[: limit + 1])
        page = rows[:limit]
        self.next_cursor = (
            cursor_encode([_value_of(page[-1], field) for field in ordering])
            if len(rows) > limit
            else None
        )
        return page

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"results": data, "next_cursor": self.next_cursor})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results", "next_cursor"],
            "properties": {
                "results": schema,
                "next_cursor": {
                    "type": "string",
                    "nullable": True,
                    "description": "Pass as `cursor` for the next page; null on the last page.",
                },
            },
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": "Results per page.",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT,
                },
            },
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "The `next_cursor` of the previous page.",
                "schema": {"type": "string"},
            },
        ]

    @staticmethod
    def limit_from(request: Request) -> int:
        raw = request.query_params.get("limit")
        if raw is None:
            return DEFAULT_LIMIT
        try:
            limit = int(raw)
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError({"limit": [f"Must be an integer from 1 to {MAX_LIMIT}."]})
        return limit

    @staticmethod
    def _position_from(
        request: Request, queryset: QuerySet, ordering: Sequence[str]
    ) -> list[Any] | None:
        raw = request.query_params.get("cursor")
        if not raw:
            return None
        try:
            values = _decode_cursor(raw)
            if len(values) != len(ordering):
                raise ValueError("wrong length")
            return [
                _field_to_python(queryset, field.lstrip("-"), value)
                for field, value in zip(ordering, values, strict=True)
            ]
        except (ValueError, TypeError, DjangoValidationError):
            raise ValidationError({"cursor": ["Invalid cursor."]}) from None


def _after(ordering: Sequence[str], position: Sequence[Any]) -> Q:
    """Rows strictly after ``position`` in ``ordering``, as a lexicographic comparison."""
    condition = Q(pk__in=[])
    equal_so_far = Q()
    for field, value in zip(ordering, position, strict=True):
        name = field.lstrip("-")
        lookup = "lt" if field.startswith("-") else "gt"
        condition |= equal_so_far & Q(**{f"{name}__{lookup}": value})
        equal_so_far &= Q(**{name: value})
    return condition


def _value_of(row: Model | dict, field: str) -> Any:
    name = field.lstrip("-")
    if isinstance(row, dict):
        return row[name]
    return getattr(row, "pk" if name == "pk" else name)


def _field_to_python(queryset: QuerySet, name: str, value: Any) -> Any:
    """Turn a cursor value back into the Python type its column or annotation expects."""
    if name in queryset.query.annotations:
        field = queryset.query.annotations[name].output_field
    else:
        try:
            field = (
                queryset.model._meta.pk if name == "pk" else queryset.model._meta.get_field(name)
            )
        except FieldDoesNotExist as exc:
            raise ValueError(name) from exc
    converted = field.to_python(value)
    if converted is None:
        raise ValueError(name)
    return converted


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()  # full microseconds, unlike DjangoJSONEncoder
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


CURSOR_SALT = "ciel.api.pagination.cursor"


def cursor_encode(values: Sequence[Any]) -> str:
    """A signed cursor; also for views that page without a queryset (the home feed)."""
    return signing.dumps([_encode_value(v) for v in values], salt=CURSOR_SALT)


def _decode_cursor(raw: str) -> list[Any]:
    try:
        values = signing.loads(raw, salt=CURSOR_SALT)
    except signing.BadSignature as exc:
        raise ValueError("cursor not issued by us") from exc
    if not isinstance(values, list):
        raise ValueError("cursor is not a list")
    return values


def cursor_decode(raw: str, *, length: int) -> list[Any]:
    """The values of a cursor this server issued; a 400 for anything else."""
    try:
        values = _decode_cursor(raw)
    except ValueError:
        values = None
    if values is None or len(values) != length:
        raise ValidationError({"cursor": ["Invalid cursor."]})
    return values
