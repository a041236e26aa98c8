"""Errors on `/v2` (at the host root and under `/api`) in Alpaca's shape: `{"code": <number>, "message": "..."}`.

`code` is Alpaca's numeric code (its HTTP status followed by four digits); our own stable
string code rides along in `reason`, and the fields at fault in `fields`. `/api/v1` keeps its
own shape (see `brokerage.api_errors`); both map the same domain codes.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

from core.errors import (
    DATABASE_UNAVAILABLE_MESSAGE,
    DomainError,
    database_unavailable,
    flatten_detail,
)

log = logging.getLogger(__name__)

BAD_REQUEST = 40010000  # malformed: not JSON, not an object
INVALID = 40010001  # well-formed, but a value is wrong (Alpaca answers these with 422)
UNAUTHORIZED = 40110000
FORBIDDEN = 40310000  # Alpaca's code for insufficient buying power or shares, too
NOT_FOUND = 40410000
METHOD_NOT_ALLOWED = 40510000
UNPROCESSABLE = 42210000
RATE_LIMITED = 42910000
INTERNAL = 50010000
UNAVAILABLE = 50310000

# Our domain code -> (HTTP status, Alpaca code). Any other domain code is bad input: 422.
DOMAIN_CODES: dict[str, tuple[int, int]] = {
    "not_found": (404, NOT_FOUND),
    "position_not_found": (404, NOT_FOUND),
    "asset_not_found": (404, NOT_FOUND),
    "watchlist_not_found": (404, NOT_FOUND),
    "no_account": (403, FORBIDDEN),
    "insufficient_buying_power": (403, FORBIDDEN),
    "insufficient_qty": (403, FORBIDDEN),
    "trading_suspended": (403, FORBIDDEN),
    "order_not_cancelable": (422, UNPROCESSABLE),
    "order_not_replaceable": (422, UNPROCESSABLE),
    "duplicate_client_order_id": (422, INVALID),
    "symbol_halted": (422, UNPROCESSABLE),
    "fok_not_fillable": (422, UNPROCESSABLE),
    "no_reference_price": (422, UNPROCESSABLE),
    "unsupported_order_type": (422, UNPROCESSABLE),
    "unsupported_order_class": (422, UNPROCESSABLE),
    "unsupported_time_in_force": (422, UNPROCESSABLE),
    "unsupported_extended_hours": (422, UNPROCESSABLE),
    "unsupported_short_sale": (422, UNPROCESSABLE),
    "no_liquidity": (422, UNPROCESSABLE),
}

# Alpaca's own words where a client may match on them (the domain's sentences otherwise).
MESSAGES = {"trading_suspended": "trading is suspended by the account's configuration"}

_DRF_CODES: list[tuple[type, int, str]] = [
    (exceptions.NotAuthenticated, UNAUTHORIZED, "not_authenticated"),
    (exceptions.AuthenticationFailed, UNAUTHORIZED, "authentication_failed"),
    (exceptions.PermissionDenied, FORBIDDEN, "forbidden"),
    (exceptions.NotFound, NOT_FOUND, "not_found"),
    (exceptions.MethodNotAllowed, METHOD_NOT_ALLOWED, "method_not_allowed"),
    (exceptions.Throttled, RATE_LIMITED, "rate_limited"),
    (exceptions.ParseError, BAD_REQUEST, "malformed_request"),
    (exceptions.UnsupportedMediaType, BAD_REQUEST, "unsupported_media_type"),
]


def body(code: int, message: str, reason: str, fields=None, **extra) -> dict:
    return {"code": code, "message": message, "reason": reason, **extra, "fields": fields or {}}


def domain_answer(exc: DomainError) -> tuple[int, dict]:
    """The HTTP status and the body a domain refusal is answered with."""
    status, code = DOMAIN_CODES.get(exc.code, (422, INVALID))
    return status, body(code, MESSAGES.get(exc.code, exc.message), exc.code, exc.fields)


def exception_handler(exc, context):
    """DRF exception handler for the `/api/v2` views."""
    if isinstance(exc, DomainError):
        status, data = domain_answer(exc)
        return Response(data, status=status)
    if database_unavailable(exc):
        request = context.get("request") if context else None
        log.warning("database unavailable under %s: %r", getattr(request, "path", "?"), exc)
        data = body(UNAVAILABLE, DATABASE_UNAVAILABLE_MESSAGE, "service_unavailable")
        return Response(data, status=503, headers={"Retry-After": "1"})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_detail(exc.detail)
        name, messages = next(iter(fields.items()), ("", ["invalid input"]))
        message = messages[0] if name in ("", "non_field_errors") else f"{name}: {messages[0]}"
        return Response(body(INVALID, message, "invalid_request", fields), status=422)
    if isinstance(exc, exceptions.APIException):
        code, reason = next(
            ((c, r) for t, c, r in _DRF_CODES if isinstance(exc, t)),
            (exc.status_code * 100_000, "error"),
        )
        headers = {}
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return Response(body(code, str(detail), reason), status=exc.status_code, headers=headers)
    return None


def not_found_json(request, *args, **kwargs) -> JsonResponse:
    """Any path under `/api/v2/` that names no endpoint."""
    return JsonResponse(body(NOT_FOUND, f"No endpoint {request.path}.", "not_found"), status=404)


def error_json(status: int, reason: str, message: str) -> JsonResponse:
    """A refusal made before any view (the input guard): Alpaca's code is the status + 10000."""
    return JsonResponse(body(status * 100_000 + 10_000, message, reason), status=status)


def server_error_json() -> JsonResponse:
    return JsonResponse(body(INTERNAL, "Internal server error.", "internal_error"), status=500)
