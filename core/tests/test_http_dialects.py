"""An app's API dialect owns its prefixes as paths, not as text."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse

from core.http import ApiDialect


def test_a_dialect_owns_a_prefix_as_a_path_not_as_text():
    dialect = ApiDialect(
        prefixes=("/x/v9",),
        error=lambda status, code, message: JsonResponse({"e": code}, status=status),
        not_found=lambda request: HttpResponse(status=404),
        server_error=lambda: HttpResponse(status=500),
    )
    assert dialect.owns("/x/v9") and dialect.owns("/x/v9/a")
    assert not dialect.owns("/x/v90") and not dialect.owns("/x")
