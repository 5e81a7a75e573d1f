"""The JSON parser of the API: DRF's, made safe for hostile bodies."""

import json
from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers
from rest_framework.utils.json import strict_constant

from ciel.api.exceptions import PayloadTooLarge


class JSONParser(parsers.JSONParser):
    """Parses a JSON body no larger than ``API_MAX_BODY_BYTES``.

    DRF reads the body straight from the request stream, so Django's
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` never applies to it; the middleware refuses a declared
    ``Content-Length`` over the limit, and this parser reads at most one byte past it, which
    catches a body that lied about its length. Deep nesting makes ``json`` recurse until
    ``RecursionError`` (a 5,000-deep array is 10 KB), which DRF would turn into a 500.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        if stream is None:
            return None
        limit = settings.API_MAX_BODY_BYTES
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise PayloadTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise exceptions.ParseError("The request body is not valid UTF-8.") from exc
        parse_constant = strict_constant if self.strict else None
        try:
            return json.loads(text, parse_constant=parse_constant)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
