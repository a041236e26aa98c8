"""The API's JSON parser: DRF's, with a nesting limit and no control characters in strings."""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# An order is two levels deep; a watchlist or a batch a few more. A client sending more is
# confused or hostile, and a deep document costs the parser and the serializers recursion.
MAX_DEPTH = 32
# NUL (which PostgreSQL refuses in text) and the other C0 controls but tab, LF and CR.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_document(data: Any, max_depth: int = MAX_DEPTH) -> None:
    """Raise ParseError if `data` nests deeper than `max_depth` or holds a control character
    in a key or a string. Iterative: a deep document cannot exhaust the stack here."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _CONTROL.search(value):
                raise ParseError("JSON strings may not hold control characters.")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > max_depth:
            raise ParseError(f"JSON may nest at most {max_depth} levels deep.")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str):
                stack.append((key, depth))
            stack.append((item, depth + 1))


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON may nest at most {MAX_DEPTH} levels deep.") from None
        check_document(data)
        return data


__all__ = ["StrictJSONParser", "check_document"]
