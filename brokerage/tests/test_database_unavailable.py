"""A request whose database connection fails under it (a terminated backend, a failover) is a
503 with Retry-After in the API's error shape, not a 500: the request was fine, retry it."""

from __future__ import annotations

import json

import pytest
from django.db import InterfaceError, OperationalError

from trading import services
from trading.tests.factories import make_stock

pytestmark = pytest.mark.django_db

ORDER = {
    "symbol": "ACME",
    "qty": "1",
    "side": "buy",
    "type": "limit",
    "time_in_force": "gtc",
    "limit_price": "10.00",
    "client_order_id": "bot-1",
}


@pytest.fixture
def backend_terminated(monkeypatch):
    """order_place fails as psycopg does when pg_terminate_backend kills its connection."""

    def place(**kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(services, "order_place", place)


@pytest.fixture
def client_of_alice(alice, key_client):
    make_stock("ACME", "10.00")
    client = key_client(alice)
    client.raise_request_exception = False
    return client


def test_an_order_whose_connection_dies_is_a_503_to_retry(client_of_alice, backend_terminated):
    response = client_of_alice.post("/api/v1/orders", ORDER, format="json")

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    body = json.loads(response.content)
    assert body["code"] == "service_unavailable"
    assert "client order id" in body["message"]
    assert body["fields"] == {}


def test_the_same_under_v2_is_a_503_in_alpacas_shape(client_of_alice, backend_terminated):
    response = client_of_alice.post("/api/v2/orders", ORDER, format="json")

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    body = json.loads(response.content)
    assert (body["code"], body["reason"]) == (50310000, "service_unavailable")


def test_a_closed_connection_is_a_503_too(client_of_alice, monkeypatch):
    def place(**kwargs):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(services, "order_place", place)
    response = client_of_alice.post("/api/v1/orders", ORDER, format="json")

    assert response.status_code == 503


def test_a_real_bug_is_still_a_500(client_of_alice, monkeypatch):
    def broken(**kwargs):
        raise ZeroDivisionError

    monkeypatch.setattr(services, "order_place", broken)
    response = client_of_alice.post("/api/v1/orders", ORDER, format="json")

    assert response.status_code == 500
    assert json.loads(response.content)["code"] == "internal_error"


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_page_whose_database_fails_is_a_503_page_not_the_500(client, monkeypatch, error):
    from marketdata import views

    def fail(**kwargs):
        raise error("terminating connection due to administrator command")

    monkeypatch.setattr(views, "stock_search", fail)

    response = client.get("/", HTTP_HOST="localhost")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "Briefly unavailable" in page
    assert "look at your orders before sending it again" in page


def test_any_other_failure_of_a_page_is_still_the_500_page(client, monkeypatch):
    from marketdata import views

    def fail(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "stock_search", fail)
    client.raise_request_exception = False

    response = client.get("/", HTTP_HOST="localhost")

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
