"""API answers say how long the server took on them (W3C Server-Timing); pages don't."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

TIMING = re.compile(r"^app;dur=(\d+\.\d\d)$")


def test_an_api_answer_carries_the_servers_time(alice, key_client):
    response = key_client(alice).get("/api/v1/account")
    assert response.status_code == 200
    found = TIMING.match(response["Server-Timing"])
    assert found, response["Server-Timing"]
    assert 0 < float(found[1]) < 10_000


def test_a_refusal_carries_it_too(alice, key_client):
    response = key_client(alice).post(
        "/api/v1/orders", {"symbol": "NOPE"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert TIMING.match(response["Server-Timing"])


def test_a_page_does_not():
    response = Client().get("/", HTTP_HOST="localhost")
    assert response.status_code == 200
    assert "Server-Timing" not in response
