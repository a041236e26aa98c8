"""/api/v1/alerts and /api/v1/notifications: list, create, delete; bad input is a 400 with a
stable code; only your own."""

from __future__ import annotations

import pytest

from trading.alerts.models import Notification, PriceAlert
from trading.tests.factories import make_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return make_stock("ACME", "100.00")


def test_an_alert_is_created_listed_and_deleted(alice, acme, key_client):
    client = key_client(alice)

    made = client.post(
        "/api/v1/alerts", {"symbol": "acme", "direction": "above", "level": "105.25"}, format="json"
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert {k: body[k] for k in ("symbol", "direction", "level", "status", "fired_at")} == {
        "symbol": "ACME",
        "direction": "above",
        "level": "105.2500",
        "status": "armed",
        "fired_at": None,
    }

    listed = client.get("/api/v1/alerts").json()
    assert [a["id"] for a in listed] == [body["id"]]

    assert client.delete(f"/api/v1/alerts/{body['id']}").status_code == 204
    assert client.get("/api/v1/alerts").json() == []


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"symbol": "ACME", "direction": "above", "level": "0"}, 400, "invalid_level"),
        ({"symbol": "ACME", "direction": "above", "level": "-1"}, 400, "invalid_level"),
        # Well formed, refused by a rule of the stock or of the moment: 422, as for orders.
        ({"symbol": "ACME", "direction": "above", "level": "105.001"}, 422, "level_off_tick"),
        ({"symbol": "ACME", "direction": "below", "level": "101"}, 422, "level_already_reached"),
    ],
)
def test_bad_input_is_refused_with_a_stable_code(alice, acme, key_client, payload, status, code):
    answer = key_client(alice).post("/api/v1/alerts", payload, format="json")

    assert answer.status_code == status
    assert answer.json()["code"] == code
    assert not PriceAlert.objects.exists()


def test_an_unknown_symbol_is_a_422_as_for_orders(alice, acme, key_client):
    # The body is well formed; the stock it names does not exist: as `POST /orders` answers.
    answer = key_client(alice).post(
        "/api/v1/alerts", {"symbol": "NOPE", "direction": "above", "level": "105"}, format="json"
    )

    assert answer.status_code == 422
    assert answer.json()["code"] == "unknown_symbol"
    assert not PriceAlert.objects.exists()


def test_input_the_schema_rules_out_is_a_400(alice, acme, key_client):
    client = key_client(alice)

    for payload in (
        {"symbol": "ACME", "direction": "up", "level": "105"},
        {"symbol": "ACME", "level": "105"},
        {"symbol": "ACME", "direction": "above", "level": "105", "extra": 1},
    ):
        answer = client.post("/api/v1/alerts", payload, format="json")
        assert answer.status_code == 400, payload
        assert answer.json()["code"]
    assert not PriceAlert.objects.exists()


def test_too_many_alerts_is_a_422(alice, acme, key_client, settings):
    settings.PRICE_ALERTS_PER_USER = 1
    client = key_client(alice)
    first = {"symbol": "ACME", "direction": "above", "level": "110"}
    assert client.post("/api/v1/alerts", first, format="json").status_code == 201

    answer = client.post(
        "/api/v1/alerts", {"symbol": "ACME", "direction": "above", "level": "111"}, format="json"
    )

    assert answer.status_code == 422
    assert answer.json()["code"] == "too_many_alerts"


def test_another_users_alert_is_not_found(alice, bob, acme, key_client):
    made = key_client(alice).post(
        "/api/v1/alerts", {"symbol": "ACME", "direction": "above", "level": "110"}, format="json"
    )

    bobs = key_client(bob)
    assert bobs.get("/api/v1/alerts").json() == []
    answer = bobs.delete(f"/api/v1/alerts/{made.json()['id']}")
    assert answer.status_code == 404
    assert answer.json()["code"] == "alert_not_found"
    for junk in ("not-a-number", "99999999999999999999999", "-1", "1.5"):
        assert bobs.delete(f"/api/v1/alerts/{junk}").status_code == 404, junk
    assert PriceAlert.objects.count() == 1


def test_notifications_are_listed_newest_first_and_marked_read(alice, bob, key_client):
    Notification.objects.create(user=alice, kind="fill", text="Bought 1 ACME at $100.00.")
    Notification.objects.create(user=alice, kind="alert", text="ACME traded at $105.00: …")
    Notification.objects.create(user=bob, kind="fill", text="Sold 1 ACME at $100.00.")
    client = key_client(alice)

    listed = client.get("/api/v1/notifications").json()
    assert [(n["kind"], n["read"]) for n in listed] == [("alert", False), ("fill", False)]

    assert client.post("/api/v1/notifications/read").json() == {"marked": 2}
    assert [n["read"] for n in client.get("/api/v1/notifications").json()] == [True, True]
    assert Notification.objects.get(user=bob).read_at is None
