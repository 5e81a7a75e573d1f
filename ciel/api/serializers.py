"""The base of every input serializer: JSON types are taken as they are, not coerced."""

from typing import Any

from rest_framework import serializers

# DRF turns 0 into "0" for a CharField and "yes" into True for a BooleanField. A client that
# sends the wrong JSON type has a bug, and guessing hides it: such input is a 400 here.
STRICT_TYPES: tuple[tuple[type[serializers.Field], tuple[type, ...], str], ...] = (
    (serializers.BooleanField, (bool,), "a boolean"),
    (serializers.CharField, (str,), "a string"),
    (serializers.UUIDField, (str,), "a UUID string"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.ListField, (list,), "a list"),
    (serializers.DictField, (dict,), "an object"),
)


class InputSerializer(serializers.Serializer):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors = {
                name: [problem]
                for name, field in self.fields.items()
                if name in data and data[name] is not None
                for problem in [_input_problem(field, data[name])]
                if problem
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def _input_problem(field: serializers.Field, value: Any) -> str | None:
    expected = _wrong_type(field, value)
    if expected:
        return f"Must be {expected}."
    return _too_long(field, value)


def _too_long(field: serializers.Field, value: Any) -> str | None:
    """The length error for a string longer than its field allows, measured before trimming.

    DRF trims whitespace (Python's wide notion of it, control characters such as U+001E
    included) before it checks max_length, so a 51-character string could pass a 50-character
    limit. The schema promises maxLength on what the client sends, so that is what we measure.
    """
    if not isinstance(field, serializers.CharField) or not isinstance(value, str):
        return None
    if field.max_length is not None and len(value) > field.max_length:
        return f"Ensure this field has no more than {field.max_length} characters."
    return None


def _wrong_type(field: serializers.Field, value: Any) -> str | None:
    """What the field expects, if the value is of another JSON type; None if it is fine."""
    for field_class, types, description in STRICT_TYPES:
        if isinstance(field, field_class):
            if isinstance(value, bool) and bool not in types:
                return description
            if not isinstance(value, types):
                return description
            if isinstance(field, serializers.ListField) and isinstance(value, list):
                item_problems = {_wrong_type(field.child, item) for item in value} - {None}
                if item_problems:
                    return f"a list of items that are each {item_problems.pop()}"
            return None
    return None
