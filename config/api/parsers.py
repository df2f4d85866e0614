"""The API's one JSON parser: DRF's, plus the limits a hostile body must meet.

DRF reads the request stream itself, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check (which only
`request.body` and `request.POST` apply), so the limit is applied here: over it is 413
`request_too_large`, never a body held in memory. A body nested deeper than Python's recursion
limit is a parse error, not a RecursionError. Text PostgreSQL cannot store (NUL, lone surrogates)
is 400 `unstorable_characters` before any view sees it.

The purchase path stays cheap: JSON can only carry a NUL or a lone surrogate as a `\\u` escape
(raw control characters in strings are a parse error, and UTF-8 cannot encode a surrogate), so
the parsed data is walked only when the raw bytes hold `\\u` at all, which a till's body does not.
"""

import codecs
import json as stdlib_json

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from config.api.error_classes import RequestTooLarge, UnstorableInput
from config.text import has_unstorable_text

# Built once: json.loads with any keyword builds a new decoder on every call.
_STRICT = stdlib_json.JSONDecoder(parse_constant=json.strict_constant)
_LENIENT = stdlib_json.JSONDecoder()


class ApiJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = parser_context.get("request")
        if limit is not None and request is not None and _declared_length(request) > limit:
            raise RequestTooLarge()
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge()

        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
            data = (_STRICT if self.strict else _LENIENT).decode(text)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply") from None
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        if b"\\u" in raw and has_unstorable_text(data):
            raise UnstorableInput()
        return data


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
