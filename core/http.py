"""Small HTTP helpers every app's views share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` a form posted (or a link carried) if it stays on this site, else `fallback`.

    An off-site `next` would turn any of our forms into an open redirect.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# The project's own documentation pages under /api/, which are HTML.
API_DOCUMENTATION = ("/api/docs/", "/api/schema/")


@dataclass(frozen=True)
class ApiDialect:
    """An API that answers its errors in a shape of its own, under path prefixes of its own.

    The app that serves it registers it (`dialect_register`, from its `AppConfig.ready`), so the
    project's wiring (the 404 and 500 handlers, the input guard) answers in that shape without
    naming the app or its paths.
    """

    # Each prefix is a path of its own and the root of the paths under it: "/api/v2" owns
    # "/api/v2" and "/api/v2/account", not "/api/v2x".
    prefixes: tuple[str, ...]
    # (HTTP status, our stable code, message) -> the error response in the dialect's shape.
    error: Callable[[int, str, str], HttpResponse]
    not_found: Callable[[HttpRequest], HttpResponse]
    server_error: Callable[[], HttpResponse]

    def owns(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self.prefixes)


_dialects: list[ApiDialect] = []


def dialect_register(dialect: ApiDialect) -> None:
    """Answer the paths under `dialect.prefixes` in its shape (idempotent)."""
    if dialect not in _dialects:
        _dialects.append(dialect)


def dialect_for(path: str) -> ApiDialect | None:
    """The registered dialect a path belongs to, if any."""
    return next((d for d in _dialects if d.owns(path)), None)


def is_api_path(path: str) -> bool:
    """Whether a path belongs to an API (JSON errors, UTC, Server-Timing), docs aside."""
    return (path.startswith("/api/") or dialect_for(path) is not None) and not path.startswith(
        API_DOCUMENTATION
    )
