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
    # Another key of the same user shares the window: more keys buy no more requests.
    assert key_client(alice).get("/api/v1/account").status_code == 429


def test_the_v2_api_is_limited_in_alpacas_shape(limit_of_three, alice, key_client):
    client = key_client(alice)
    answers = [client.get("/api/v2/account") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert json.loads(answers[-1].content)["code"] == 42910000


def test_a_signed_in_browser_is_limited_per_user(limit_of_three, alice):
    browser = Client()
    browser.force_login(alice)
    assert [browser.get("/api/v1/account").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_anonymous_requests_are_limited_per_ip(limit_of_three, db):
    here, there = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    assert [here.get("/api/v1/account").status_code for _ in range(3)] == [401, 401, 429]
    assert there.get("/api/v1/account").status_code == 401


def test_off_means_no_limit_and_no_headers(settings, alice, key_client):
    settings.API_RATE_LIMIT = None
    answer = key_client(alice).get("/api/v1/account")
    assert answer.status_code == 200 and "X-RateLimit-Limit" not in answer


def test_twenty_keys_share_one_users_budget(limit_of_three, alice, bob, key_client):
    answers = [key_client(alice).get("/api/v1/account").status_code for _ in range(6)]
    assert answers == [200, 200, 200, 429, 429, 429]
    assert key_client(bob).get("/api/v1/account").status_code == 200  # his own window


def test_the_browsers_page_calls_do_not_spend_the_keys_budget(limit_of_three, alice, key_client):
    browser = Client()
    browser.force_login(alice)
    assert [browser.get("/api/v1/account").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert key_client(alice).get("/api/v1/account").status_code == 200


def test_a_forged_x_forwarded_for_does_not_reset_the_anonymous_limit(limit_of_three, db):
    answers = [
        Client(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        .get("/api/v1/account")
        .status_code
        for i in range(5)
    ]
    assert answers == [401, 401, 429, 429, 429]


class SilentRedis:
    """A TCP server that takes connections and never answers (a frozen Redis)."""

    def __init__(self) -> None:
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.accepted: list = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"

    def close(self) -> None:
        for conn in self.accepted:
            conn.close()
        self.sock.close()


def test_a_frozen_redis_is_asked_once_then_skipped_by_the_breaker(
    limit_of_three, settings, alice, key_client, caplog
):
    from brokerage import throttles

    frozen = SilentRedis()
    settings.REDIS_URL = frozen.url
    settings.RATE_LIMIT_REDIS_TIMEOUT_MS = 50
    settings.RATE_LIMIT_BREAKER_SECONDS = 60
    throttles.breaker.open_until, trips = 0.0, throttles.breaker.trips
    try:
        client = key_client(alice)
        answers = [client.get("/api/v1/account") for _ in range(20)]
    finally:
        frozen.close()
        throttles.breaker.open_until = 0.0
    assert [a.status_code for a in answers] == [200] * 20  # let through, unlimited
    assert throttles.breaker.trips == trips + 1  # one wait, then skipped for the rest
    assert len(frozen.accepted) == 1
