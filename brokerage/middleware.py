"""Request wiring shared by every app."""

from __future__ import annotations

from datetime import UTC

from django.utils import timezone


class ApiUtcMiddleware:
    """Under /api/, moments are written (and naive ones read) in UTC: `2026-01-02T15:04:05Z`.

    The pages keep market time (`TIME_ZONE`); programs get RFC 3339 UTC, as Alpaca writes it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        with timezone.override(UTC):
            return self.get_response(request)
