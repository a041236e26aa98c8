"""Finding 3: no bad input gets a 500, and every error under /api/ has the one JSON shape."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from trading.tests.factories import make_stock

pytestmark = pytest.mark.django_db

NUL_API_URLS = [
    "/api/v1/stocks/%00",
    "/api/v1/stocks/%00/book",
    "/api/v1/stocks/%00/trades",
    "/api/v1/stocks/%00/candles",
    "/api/v1/positions/%00",
    "/api/v1/orders:by_client_order_id?client_order_id=%00",
    "/api/v1/stocks?q=%00",
    "/api/v1/fills?symbol=%00",
    "/api/v1/stocks?q=a%01b",
]


def assert_api_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response.content
    body = json.loads(response.content)
    assert set(body) == {"code", "message", "fields"}
    if code is not None:
        assert body["code"] == code
    return body


@pytest.fixture
def client_of_alice(alice, key_client):
    make_stock("ACME", "10.00")
    client = key_client(alice)
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("url", NUL_API_URLS)
def test_a_control_character_in_an_api_url_is_a_400_in_the_error_shape(client_of_alice, url):
    assert_api_error(client_of_alice.get(url), 400, "invalid_characters")


@pytest.mark.parametrize("url", ["/?q=%00", "/stocks/%00/", "/stocks/ACME/?x=%1f"])
def test_a_control_character_in_a_page_url_is_a_400_without_logging_in(db, url):
    client = Client(raise_request_exception=False)
    assert client.get(url).status_code == 400


def test_a_control_character_in_a_header_is_a_400(db):
    client = Client(raise_request_exception=False)
    response = client.get(
        "/api/v1/account", HTTP_APCA_API_KEY_ID="BK\x00", HTTP_APCA_API_SECRET_KEY="x"
    )
    assert_api_error(response, 400, "invalid_characters")


def test_deeply_nested_json_is_a_400_not_a_recursion_error(client_of_alice):
    for document in ("[" * 1000, "[" * 40 + "]" * 40, '{"a":' * 40 + "1" + "}" * 40):
        response = client_of_alice.post(
            "/api/v1/orders", data=document, content_type="application/json"
        )
        assert_api_error(response, 400, "malformed_request")


def test_a_nul_in_a_json_string_is_a_400(client_of_alice):
    response = client_of_alice.post(
        "/api/v1/orders",
        data='{"symbol": "AC\\u0000ME", "side": "buy", "qty": "1"}',
        content_type="application/json",
    )
    assert_api_error(response, 400, "malformed_request")


def test_a_body_over_the_limit_is_a_413_in_the_error_shape(client_of_alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_of_alice.post(
        "/api/v1/orders", data="x" * 2000, content_type="application/json"
    )
    assert_api_error(response, 413, "request_too_large")


def test_a_body_over_the_limit_under_v2_is_a_413_in_alpacas_shape(client_of_alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_of_alice.post(
        "/api/v2/orders", data="x" * 2000, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["code"] == 41310000


@pytest.mark.parametrize("end", ["0001-01-01", "9999-12-31T23:59:59Z", "1969-12-31T00:00:00Z"])
def test_candles_out_of_range_are_a_400(client_of_alice, end):
    response = client_of_alice.get(f"/api/v1/stocks/ACME/candles?end={end}")
    assert_api_error(response, 400, "invalid_request")


def test_unknown_routes_405_and_415_answer_the_error_shape(client_of_alice):
    assert_api_error(client_of_alice.get("/api/v1/nope"), 404, "not_found")
    assert_api_error(client_of_alice.delete("/api/v1/account"), 405, "method_not_allowed")
    assert_api_error(
        client_of_alice.post("/api/v1/orders", data="a=b", content_type="text/plain"),
        415,
        "unsupported_media_type",
    )


def test_an_html_error_under_the_api_is_reshaped_to_json(client_of_alice, settings):
    # Django's own CSRF refusal is HTML; a session POST outside DRF under /api/ gets it.
    from django.http import HttpResponseNotAllowed

    from brokerage.middleware import ApiErrorShapeMiddleware

    request = Client().get("/").wsgi_request
    request.path = "/api/v1/anything"
    response = ApiErrorShapeMiddleware(lambda r: HttpResponseNotAllowed(["GET"]))(request)
    body = assert_api_error(response, 405, "method_not_allowed")
    assert body["message"] and response["Allow"] == "GET"
