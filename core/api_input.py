"""API input read strictly, so that it is what the schema says: a query parameter given empty
(`?limit=`) is an error, not absent, and a body member the operation does not take is refused."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class QueryParams(serializers.Serializer[Any]):
    """The base of every API view's query-parameter serializer.

    DRF treats `?limit=` like no `limit` at all and quietly uses the default; a client that
    sent it meant something, so it is told (400) instead of answered for another question.
    """

    def to_internal_value(self, data: Any) -> Any:
        empty = {
            name: ["May not be empty."]
            for name, field in self.fields.items()
            if name in data
            and not getattr(field, "allow_blank", False)
            and all(value == "" for value in _values(data, name))
        }
        if empty:
            raise serializers.ValidationError(empty)
        return super().to_internal_value(data)


def _values(data: Any, name: str) -> list[Any]:
    getlist = getattr(data, "getlist", None)
    return getlist(name) if getlist else [data[name]]


class BodyInput(serializers.Serializer[Any]):
    """The base of every API view's request-body serializer.

    A member the operation does not take is refused, not ignored: `"time_in_forse": "gtc"`
    would otherwise place a day order without a word. The schema says so
    (`additionalProperties: false`).
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = {
                str(name): ["Not a field of this request."]
                for name in data
                if name not in self.fields
            }
            if unknown:
                raise serializers.ValidationError(unknown)
        return super().to_internal_value(data)
