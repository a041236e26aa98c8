import socket

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_is_200_when_the_database_and_redis_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["redis"]["ok"] is True


def test_healthz_is_503_when_redis_is_down(client, settings):
    # A port that nothing listens on: bind it, close it, and point the check there.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["redis"]["ok"] is False
    assert body["database"]["ok"] is True
