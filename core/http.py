"""Small HTTP helpers every app's views share."""

from __future__ import annotations

from django.http import HttpRequest
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


# Alpaca's SDKs are given a host and append `/v2/...` themselves, so Alpaca's API answers at
# the host root as well as under `/api` (one set of views, two prefixes).
ALPACA_PREFIXES = ("/api/v2/", "/v2/")
# The project's own documentation pages under /api/, which are HTML.
API_DOCUMENTATION = ("/api/docs/", "/api/schema/")


def is_alpaca_path(path: str) -> bool:
    """Whether a path belongs to the Alpaca-compatible API (errors in Alpaca's shape)."""
    return path.startswith(ALPACA_PREFIXES) or path in ("/api/v2", "/v2")


def is_api_path(path: str) -> bool:
    """Whether a path belongs to an API (JSON errors, UTC, Server-Timing), docs aside."""
    return (path.startswith("/api/") or is_alpaca_path(path)) and not path.startswith(
        API_DOCUMENTATION
    )
