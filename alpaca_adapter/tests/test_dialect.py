"""The app registers its paths and error shape: the project's wiring answers in it."""

from __future__ import annotations

import json

from core.http import dialect_for, is_api_path


def test_alpacas_paths_are_the_apis_own_and_no_others():
    for path in ("/api/v2", "/api/v2/account", "/v2", "/v2/stocks/bars"):
        assert dialect_for(path) is not None, path
        assert is_api_path(path), path
    for path in ("/api/v1/orders", "/v2x", "/api/v20/account", "/stocks/ACME/", "/"):
        assert dialect_for(path) is None, path
    assert is_api_path("/api/v1/orders") and not is_api_path("/api/docs/")


def test_a_refusal_before_any_view_is_in_alpacas_shape():
    dialect = dialect_for("/v2/account")
    assert dialect is not None

    refused = dialect.error(413, "body_too_large", "The body is too large.")

    assert refused.status_code == 413
    body = json.loads(refused.content)
    assert body["code"] == 41310000 and body["reason"] == "body_too_large"
    assert body["message"] == "The body is too large."
    assert dialect.server_error().status_code == 500
