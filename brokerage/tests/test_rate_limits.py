"""Finding 2 (the API): a rate limit per key or user, and per IP when anonymous."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit_of_three(settings):
    settings.API_RATE_LIMIT = (3, 60)
    settings.API_SESSION_RATE_LIMIT = (3, 60)
    settings.API_ANON_RATE_LIMIT = (2, 60)
    settings.API_RATE_LIMIT_PREFIX = f"test-ratelimit-{uuid.uuid4().hex}"


def test_a_key_gets_its_limit_then_429_with_the_alpaca_headers(limit_of_three, alice, key_client):
    client = key_client(alice)
    answers = [client.get("/api/v1/account") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a["X-RateLimit-Limit"] for a in answers} == {"3"}
    assert int(answers[0]["X-RateLimit-Reset"]) > 0
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert json.loads(refused.content)["code"] == "rate_limited"
    # Another key of the same user has a window of its own.
    assert key_client(alice).get("/api/v1/account").status_code == 200


def test_the_v2_api_is_limited_in_alpacas_shape(limit_of_three, alice, key_client):
    client = key_client(alice)
    answers = [client.get("/api/v2/account") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert json.loads(answers[-1].content)["code"] == 42910000


def test_a_signed_in_browser_is_limited_per_user(limit_of_three, alice):
    browser = Client()
    browser.force_login(alice)
    assert [browser.get("/api/v1/account").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_a_browser_sessions_budget_is_apart_from_the_users_api_keys(
    limit_of_three, alice, key_client
):
    bot = key_client(alice)
    assert [bot.get("/api/v1/account").status_code for _ in range(4)] == [200, 200, 200, 429]
    # The bot spent its key's budget: the pages alice has open still answer her.
    browser = Client()
    browser.force_login(alice)
    assert browser.get("/api/v1/account").status_code == 200


def test_anonymous_requests_are_limited_per_ip(limit_of_three, db):
    here, there = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    assert [here.get("/api/v1/account").status_code for _ in range(3)] == [401, 401, 429]
    assert there.get("/api/v1/account").status_code == 401


def test_off_means_no_limit_and_no_headers(settings, alice, key_client):
    settings.API_RATE_LIMIT = None
    answer = key_client(alice).get("/api/v1/account")
    assert answer.status_code == 200 and "X-RateLimit-Limit" not in answer
