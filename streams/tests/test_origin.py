"""Finding 10: the websocket Origin check covers scheme, host and port; `next` stays on site."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client

from brokerage.asgi import application
from streams.tests.conftest import place
from trading.tests.factories import make_stock


def handshake(origin: str | None, host: str = "127.0.0.1:8000", scheme: str = "ws") -> bool:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))

    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
        communicator.scope["scheme"] = scheme
        connected, _ = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected

    return async_to_sync(scenario)()


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "allowed"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "ws", True),
        ("https://localhost", "localhost", "wss", True),
        ("https://localhost:443", "localhost", "wss", True),
        (None, "127.0.0.1:8000", "ws", True),  # a bot: no Origin, an API key
        ("http://127.0.0.1:9999", "127.0.0.1:8000", "ws", False),  # another port
        ("https://127.0.0.1:8000", "127.0.0.1:8000", "ws", False),  # another scheme
        ("http://localhost", "localhost", "wss", False),
        ("http://evil.example", "127.0.0.1:8000", "ws", False),
        ("http://evil.example", "evil.example", "ws", False),  # a host we do not serve
    ],
)
@pytest.mark.django_db(transaction=True)
def test_the_origin_must_be_this_site_in_scheme_host_and_port(
    settings, origin, host, scheme, allowed
):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    assert handshake(origin, host, scheme) is allowed


@pytest.mark.django_db(transaction=True)
def test_a_trusted_origin_may_connect(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example"]
    assert handshake("https://app.example")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("next_", "lands"),
    [
        ("/orders/", "/orders/"),
        ("https://evil.example/", "/portfolio/"),
        ("//evil.example/", "/portfolio/"),
        ("javascript:alert(1)", "/portfolio/"),
    ],
)
def test_the_cancel_form_redirects_only_on_site(alice, next_, lands):
    acme = make_stock("ACME", "100.00")
    order = place(alice, acme, "buy", 1, "99.00")
    browser = Client()
    browser.force_login(alice)
    response = browser.post(f"/orders/{order.id}/cancel/", {"next": next_})
    assert (response.status_code, response["Location"]) == (302, lands)
