import socket

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_user("ops", is_staff=True))
    return client


def test_healthz_tells_anyone_the_status_only(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_is_200_when_the_database_and_redis_answer(staff_client):
    response = staff_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["redis"]["ok"] is True


def test_healthz_is_503_when_redis_is_down(staff_client, settings):
    # A port that nothing listens on: bind it, close it, and point the check there.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"

    assert Client().get("/healthz").json() == {"status": "unavailable"}  # the public
    response = staff_client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["redis"]["ok"] is False
    assert body["database"]["ok"] is True


def test_healthz_tells_staff_which_web_processes_are_alive(staff_client, monkeypatch):
    from brokerage import health

    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    health._beat_once()

    web = staff_client.get("/healthz").json()["web"]

    me = f"{socket.gethostname()}:{__import__('os').getpid()}"
    assert web["answered_by"] == me
    assert me in web["alive"]
    assert web["expected"] == 2
