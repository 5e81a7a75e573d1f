"""Reading a request body through an input serializer."""

from typing import Any

from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer


def validated_input(serializer_class: type[BaseSerializer], request: Request) -> dict[str, Any]:
    """The body, validated by the serializer, or a 400 naming the fields."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
