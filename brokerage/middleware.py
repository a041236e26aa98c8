"""Request wiring shared by every app."""

from __future__ import annotations

import re
import time
from datetime import UTC
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone

from core.errors import database_unavailable
from core.http import dialect_for, is_api_path

_REPEATED_SLASHES = re.compile(r"//+")


class RepeatedSlashMiddleware:
    """`/api//v2/account` is `/api/v2/account`: an SDK given a base URL that ends in a slash
    (`http://HOST/api/`) appends `/v2/...` to it, and Alpaca's own servers take the result.
    Collapsed before anything reads the path, so routing, error shapes and limits agree."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "//" in request.path_info:
            request.path_info = _REPEATED_SLASHES.sub("/", request.path_info)
            request.path = _REPEATED_SLASHES.sub("/", request.path)
        return self.get_response(request)


class ServerTimingMiddleware:
    """Every API answer says how long the server took on it: `Server-Timing: app;dur=5.83`
    (milliseconds, W3C Server Timing), from the first middleware to the last. A bot can then
    tell the server's time from the network's; the benchmarks read it too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        if is_api_path(request.path) or request.path.startswith("/api/"):
            response["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.2f}"
        return response


class DatabaseUnavailablePageMiddleware:
    """A page whose database failed under it (a lost or terminated connection, a failover)
    answers 503 with Retry-After and a page saying what that means, not the 500 page: the
    request was fine. The API answers its own 503 in its error shapes (`api_errors`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_api_path(request.path) or not database_unavailable(exception):
            return None
        # Rendered without the request: its context processors would ask the database again.
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "5"
        return response


class ApiUtcMiddleware:
    """Under /api/, moments are written (and naive ones read) in UTC: `2026-01-02T15:04:05Z`.

    The pages keep market time (`TIME_ZONE`); programs get RFC 3339 UTC, as Alpaca writes it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_path(request.path):
            return self.get_response(request)
        with timezone.override(UTC):
            return self.get_response(request)


# C0 control characters and DEL. Tab, CR and LF are allowed in header values only.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HEADER_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _api_error(request, status: int, code: str, message: str) -> HttpResponse:
    """The error shape of the API the path belongs to (a registered dialect's under its paths)."""
    dialect = dialect_for(request.path)
    if dialect is not None:
        return dialect.error(status, code, message)
    return JsonResponse({"code": code, "message": message, "fields": {}}, status=status)


def _is_api(request) -> bool:
    return is_api_path(request.path)


class InputGuardMiddleware:
    """Refuse, before anything reads them, what no view should see: control characters (NUL
    above all, which PostgreSQL refuses in text) in the path, the query or a header, and a body
    larger than `DATA_UPLOAD_MAX_MEMORY_SIZE` (413). One place, for pages and API alike."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = self._refusal(request)
        if refused is None:
            return self.get_response(request)
        status, code, message = refused
        if _is_api(request):
            return _api_error(request, status, code, message)
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")

    @staticmethod
    def _refusal(request) -> tuple[int, str, str] | None:
        query = unquote_plus(request.META.get("QUERY_STRING", ""), errors="replace")
        if _CONTROL.search(request.path) or _CONTROL.search(query):
            return 400, "invalid_characters", "The URL holds control characters."
        for name, value in request.META.items():
            if (
                name.startswith("HTTP_")
                and isinstance(value, str)
                and _HEADER_CONTROL.search(value)
            ):
                return 400, "invalid_characters", "A header holds control characters."
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 400, "malformed_request", "Content-Length is not a number."
        if limit is not None and length > limit:
            return 413, "request_too_large", f"The body may be at most {limit} bytes."
        return None


_STATUS_CODES = {
    400: "malformed_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


class ApiErrorShapeMiddleware:
    """Under /api/, an error answered by anything but the API's own handlers (Django's CSRF or
    size checks, a decorator's 405) still comes back in the API's one JSON error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not _is_api(request)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        code = _STATUS_CODES.get(status, "internal_error" if status >= 500 else "error")
        message = response.reason_phrase or "Error"
        shaped = _api_error(request, status, code, message + ".")
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                shaped[header] = response[header]
        return shaped


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy on the site's pages (`CONTENT_SECURITY_POLICY`).

    The pages load only their own scripts and styles from /static/ and open websockets to
    this site, so the default allows exactly that: no inline script, no other origin, no
    framing. The admin and the API's Swagger page ship inline scripts of their own and are
    left to their defaults (staff only, and a page of documentation).
    """

    EXEMPT = ("/admin/", "/api/docs/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if (
            policy
            and policy.lower() != "off"
            and "Content-Security-Policy" not in response
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith(self.EXEMPT)
        ):
            host = request.get_host()
            # 'self' does not cover websockets in every browser: name this host's ws and wss.
            response["Content-Security-Policy"] = policy.replace(
                "{ws}", f"ws://{host} wss://{host}"
            )
        return response
