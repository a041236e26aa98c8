"""Maps every API failure to one JSON shape: {"code", "message", "fields"}."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from core.errors import (
    DATABASE_UNAVAILABLE_MESSAGE,
    DomainError,
    database_unavailable,
    flatten_detail,
)
from core.http import dialect_for
from core.words import label

log = logging.getLogger(__name__)

# The API's HTTP status for each domain refusal (Alpaca's choices where it has one); any other
# code is bad input, 400. The services say only what was refused; this edge says how to answer.
DOMAIN_STATUS = {
    "not_found": 404,
    "position_not_found": 404,
    "alert_not_found": 404,
    "no_account": 403,
    "insufficient_buying_power": 403,
    "insufficient_qty": 403,
    "trading_suspended": 403,
    "order_not_cancelable": 422,
    "order_not_replaceable": 422,
    "duplicate_client_order_id": 422,
    "symbol_halted": 422,
    "fok_not_fillable": 422,
    "own_auction": 403,
    "auction_not_open": 422,
    "auction_ended": 422,
    "auction_not_cancelable": 422,
    "auction_has_bids": 422,
    # Well-formed input (it matches the schema) refused by a rule of the market or of the
    # request as a whole: Alpaca answers these 422 too.
    "price_off_tick": 422,
    "qty_off_lot": 422,
    "price_outside_band": 422,
    "no_reference_price": 422,
    "limit_price_required": 422,
    "limit_price_not_allowed": 422,
    "nothing_to_replace": 422,
    "unknown_page_token": 422,
    "invalid_period": 422,
    "unknown_symbol": 422,
    "bid_too_low": 422,
    "bid_outside_collar": 422,
    "bid_not_higher": 422,
    "fixed_increment_required": 422,
    "invalid_end": 422,
    "level_off_tick": 422,
    "level_already_reached": 422,
    "too_many_alerts": 422,
}


def domain_status(code: str) -> int:
    """The HTTP status the API answers a domain refusal with."""
    return DOMAIN_STATUS.get(code, 400)


_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
    exceptions.ParseError: "malformed_request",
}


def error_response(code: str, message: str, status_code: int, fields=None, headers=None):
    """Build a response in the project's error shape."""
    return Response(
        {"code": code, "message": message, "fields": fields or {}},
        status=status_code,
        headers=headers,
    )


def exception_handler(exc, context):
    """DRF exception handler: domain errors, validation errors and HTTP errors, one shape."""
    if isinstance(exc, DomainError):
        return error_response(exc.code, exc.message, domain_status(exc.code), exc.fields)
    if database_unavailable(exc):
        log.warning("database unavailable under %s: %r", _path(context), exc)
        return error_response(
            "service_unavailable",
            DATABASE_UNAVAILABLE_MESSAGE,
            status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_detail(exc.detail)
        first_field, first_messages = next(iter(fields.items()), ("", ["invalid input"]))
        message = first_messages[0]
        if first_field and first_field != "non_field_errors":
            # Named as the pages name it ("Quantity: ..."); `fields` keeps the API's names.
            message = f"{label(first_field)}: {message[:1].lower()}{message[1:]}"
        code = "invalid_request"
        return error_response(code, message, status.HTTP_400_BAD_REQUEST, fields)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        code = next((c for t, c in _CODES.items() if isinstance(exc, t)), "error")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return error_response(code, str(detail), exc.status_code, headers=headers or None)
    return None


def _path(context) -> str:
    request = context.get("request") if context else None
    return getattr(request, "path", "?")


def page_not_found(request, exception=None):
    """Django's 404 handler: JSON under /api/ (a registered dialect's shape under its paths),
    HTML elsewhere."""
    from django.http import JsonResponse
    from django.views import defaults

    dialect = dialect_for(request.path)
    if dialect is not None:
        return dialect.not_found(request)
    if request.path.startswith("/api/"):
        body = {"code": "not_found", "message": f"No endpoint {request.path}.", "fields": {}}
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django's 500 handler: JSON under /api/, HTML elsewhere."""
    from django.http import JsonResponse
    from django.views import defaults

    dialect = dialect_for(request.path)
    if dialect is not None:
        return dialect.server_error()
    if request.path.startswith("/api/"):
        body = {"code": "internal_error", "message": "Internal server error.", "fields": {}}
        return JsonResponse(body, status=500)
    return defaults.server_error(request)
