"""The API's JSON parser: DRF's, with a limit on how deeply a body may nest."""

import codecs
import json
from typing import IO, Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No body the API takes nests deeper than a few levels; a deeper one is an attack on the
# recursion limit (RecursionError, a 500) of whatever walks it next.
MAX_JSON_DEPTH = 32


class JSONTooDeep(ValueError):
    pass


def json_body_load(raw: str | bytes) -> Any:
    """Parse a request's JSON body as DRF does (no NaN or Infinity), refusing one nested deeper
    than ``MAX_JSON_DEPTH``. Raises ``ValueError`` (``JSONTooDeep`` for the depth)."""
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise JSONTooDeep(_too_deep_message()) from None
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise JSONTooDeep(_too_deep_message())
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
    return data


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with ``json_body_load``'s depth limit: a 400, never a RecursionError."""

    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json_body_load(text)
        except JSONTooDeep as exc:
            raise ParseError(str(exc)) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


def _too_deep_message() -> str:
    return _("The JSON body is nested more than %(max)d levels deep.") % {"max": MAX_JSON_DEPTH}
