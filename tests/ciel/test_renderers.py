"""The orjson renderer writes what DRF's JSONRenderer writes."""

import datetime
import decimal
import json
import uuid

from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.serializers import Serializer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from ciel.api.renderers import JSONRenderer

PAYLOAD = {
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "at": datetime.datetime(2026, 11, 30, 1, 2, 3, 456789, tzinfo=datetime.UTC),
    "day": datetime.date(2026, 11, 30),
    "amount": decimal.Decimal("1.5"),
    "message": gettext_lazy("This field is required."),
    "detail": ErrorDetail("Invalid cursor.", code="invalid"),
    "nested": ReturnDict({"caption": 'fog ✨ "quoted"', 3: None}, serializer=Serializer()),
    "list": ReturnList([1, 2.5, True, None, "é"], serializer=Serializer()),
    "big": 2**70,
}


def test_the_output_equals_drfs():
    ours = JSONRenderer().render(PAYLOAD)
    theirs = DRFJSONRenderer().render(PAYLOAD)

    assert json.loads(ours) == json.loads(theirs)
    assert b'"at":"2026-11-30T01:02:03.456789Z"' in ours
    assert "✨".encode() in ours  # UTF-8, not \\u escapes


def test_without_the_unusual_values_it_is_byte_for_byte_the_same():
    simple = {key: value for key, value in PAYLOAD.items() if key != "big"}

    assert JSONRenderer().render(simple) == DRFJSONRenderer().render(simple)


def test_none_renders_as_an_empty_body():
    assert JSONRenderer().render(None) == b""
