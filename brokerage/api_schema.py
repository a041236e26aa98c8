"""The OpenAPI schema's finishing step: what every /api/v1 operation shares.

drf-spectacular describes each view's success; this hook adds what the wiring around the
views answers for all of them: the one error shape (`brokerage.api_errors`) for each status
the API can send, the rate limit's 429 with `Retry-After`, and the input guard's refusal of
control characters in the URL and in JSON strings (`brokerage.middleware`,
`brokerage.parsers`), so that the schema says what the server accepts and nothing more.
"""

from __future__ import annotations

from typing import Any

ERROR = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every failure of the API: a stable machine code, a message for people, "
    "and the fields at fault with their messages.",
    "properties": {
        "code": {"type": "string", "description": "Stable; programs branch on it."},
        "message": {"type": "string"},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["code", "message", "fields"],
}

_DESCRIPTIONS = {
    "400": "The request does not match this schema: a parameter or field is missing, empty, "
    "of the wrong type or out of range, the JSON is malformed, or the URL holds control "
    "characters.",
    "401": "No credentials, or an unknown, revoked or mismatched API key.",
    "403": "Refused for this user: no account, not enough buying power or shares.",
    "404": "No such resource (or it is another user's).",
    "405": "The path does not take this method.",
    "406": "The API answers JSON only.",
    "413": "The body is larger than the server accepts.",
    "415": "The body is not JSON.",
    "422": "Well-formed, but refused by a market rule or by how the parameters relate: off "
    "the tick or the lot, outside the price band, halted, not fillable, not cancelable, a "
    "duplicate client_order_id, end before start, an unknown page_token.",
    "429": "Over the rate limit; retry after `Retry-After` seconds.",
    "500": "The server failed; the request may be retried.",
}
_RATE_HEADERS = {
    "Retry-After": {
        "description": "Seconds until the rate-limit window resets.",
        "schema": {"type": "integer", "minimum": 1},
    },
}
# What the input guard refuses: C0 controls and DEL anywhere in the URL; in JSON strings the
# same but tab, LF and CR.
URL_TEXT = "^[^\\x00-\\x1f\\x7f]*$"
JSON_TEXT = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"
# A non-blank JSON string: DRF trims it, so it needs one character that is not white space.
JSON_NONBLANK = (
    "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*[^\\x00-\\x1f\\x7f\\s]"
    "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"
)
URL_NONBLANK = "^[^\\x00-\\x1f\\x7f]*[^\\x00-\\x1f\\x7f\\s][^\\x00-\\x1f\\x7f]*$"


def _error_statuses(method: str, operation: dict[str, Any]) -> list[str]:
    statuses = ["400", "401", "403", "404", "405", "406", "422", "429", "500"]
    if method in {"post", "put", "patch"}:
        statuses += ["413", "415"]
    return statuses


def _text_only(schema: dict[str, Any], *, in_url: bool) -> None:
    """Give a free-text string the pattern of what the input guard lets through."""
    if schema.get("type") != "string" or {"enum", "format", "pattern"} & schema.keys():
        return
    nonblank = schema.get("minLength", 0) >= 1
    if in_url:
        schema["pattern"] = URL_NONBLANK if nonblank else URL_TEXT
    else:
        schema["pattern"] = JSON_NONBLANK if nonblank else JSON_TEXT


def _walk_request_schema(schema: dict[str, Any], components: dict[str, Any], seen: set) -> None:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return
        seen.add(name)
        _walk_request_schema(components.get(name, {}), components, seen)
        return
    _text_only(schema, in_url=False)
    if schema.get("type") == "object" and "properties" in schema:
        schema.setdefault("additionalProperties", False)  # core.api_input.BodyInput
    for sub in schema.get("properties", {}).values():
        _walk_request_schema(sub, components, seen)
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(key, []):
            _walk_request_schema(sub, components, seen)
    if isinstance(schema.get("items"), dict):
        _walk_request_schema(schema["items"], components, seen)


def finish_schema(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular's POSTPROCESSING_HOOKS entry."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR] = ERROR_SCHEMA
    error_ref = {"$ref": f"#/components/schemas/{ERROR}"}
    request_components: set[str] = set()
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(method, operation):
                response: dict[str, Any] = {
                    "description": _DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": error_ref}},
                }
                if status == "429":
                    response["headers"] = _RATE_HEADERS
                responses.setdefault(status, response)
            for parameter in operation.get("parameters", []):
                if parameter.get("in") in {"query", "path"}:
                    _text_only(parameter.get("schema", {}), in_url=True)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _walk_request_schema(media.get("schema", {}), components, request_components)
    return result
