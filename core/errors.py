"""The one domain error: every business rule that refuses an action raises it."""

from __future__ import annotations

from typing import Any

from django.db import InterfaceError, OperationalError

# What a client is told when the database failed under its request (see database_unavailable).
DATABASE_UNAVAILABLE_MESSAGE = (
    "The database connection failed while serving this request, which may or may not have "
    "taken effect. Try again shortly: an order resent with its client order id is never "
    "placed twice."
)


class DomainError(Exception):
    """A refused action: a stable machine `code`, a human `message`, and the fields at fault.

    It says nothing of HTTP: each edge (the API, the HTML forms) maps codes to its own answer.
    """

    def __init__(self, code: str, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


def flatten_detail(detail: object, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"field.sub": ["message", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                name = prefix or "non_field_errors"
            for k, v in flatten_detail(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        for item in detail:
            for k, v in flatten_detail(item, prefix).items():
                out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def database_unavailable(exc: BaseException) -> bool:
    """A failure of the database, not of the request: its connection was lost or terminated
    (a restart, a failover, `pg_terminate_backend`), a pool or statement timeout, a deadlock.

    The API edges answer these 503 with Retry-After rather than 500: nothing is wrong with
    the request, and the transaction rolled back unless the loss came at its COMMIT, so the
    client cannot be told it failed, only to retry (idempotently, by client_order_id).
    """
    return isinstance(exc, OperationalError | InterfaceError)
