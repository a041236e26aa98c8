"""Finding 1: a private stream ends when the right to it ends, within a second."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import ApiKey, User
from accounts.services import api_key_create, api_key_revoke
from brokerage.asgi import application
from streams import access
from streams.tests.conftest import in_thread, open_socket, place
from trading.tests.factories import make_stock

pytestmark = pytest.mark.django_db(transaction=True)


def run(scenario):
    return async_to_sync(scenario)()


def key_headers(user):
    key, secret = api_key_create(user=user, name="stream bot")
    headers = [(b"apca-api-key-id", key.key_id.encode()), (b"apca-api-secret-key", secret.encode())]
    return key, headers


def signed_in(user) -> tuple[Client, list[tuple[bytes, bytes]]]:
    client = Client()
    client.force_login(user)
    return client, [(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def revoked_then_refused(ws, end_the_right, stock, user) -> tuple[dict, dict, bool]:
    """End the right, and return what the socket said within a second, its answer to a new
    orders subscription, and whether an order of the user then reaches it."""
    await ws.subscribe("orders")
    await in_thread(end_the_right)()
    told = await ws.receive(timeout=1)
    await ws.send({"action": "subscribe", "channel": "orders"})
    again = await ws.receive()
    await in_thread(place)(user, stock, "buy", 1, "9.00")
    return told, again, await ws.nothing(timeout=0.5)


def test_revoking_a_key_closes_its_private_stream_within_a_second(alice):
    zxa = make_stock("ZXA", "10.00")
    key, headers = key_headers(alice)
    _, other_headers = key_headers(alice)

    async def scenario():
        async with open_socket(headers) as ws, open_socket(other_headers) as other:
            await other.subscribe("orders")
            told, again, quiet = await revoked_then_refused(
                ws, lambda: api_key_revoke(user=alice, key_id=key.key_id), zxa, alice
            )
            # The user's other key keeps its stream.
            return told, again, quiet, await other.receive()

    told, again, quiet, other_update = run(scenario)
    assert told["code"] == "auth_revoked"
    assert again["code"] == "auth_required"
    assert quiet
    assert other_update["type"] == "orders"


def test_logging_out_closes_that_sessions_private_stream(alice):
    zxb = make_stock("ZXB", "10.00")
    browser, cookie = signed_in(alice)
    _, key_headers_ = key_headers(alice)

    async def scenario():
        async with open_socket(cookie) as ws, open_socket(key_headers_) as bot:
            await bot.subscribe("orders")
            told, again, quiet = await revoked_then_refused(
                ws, lambda: browser.post("/logout/"), zxb, alice
            )
            return told, again, quiet, await bot.receive()

    told, again, quiet, bot_update = run(scenario)
    assert (told["code"], again["code"], quiet) == ("auth_revoked", "auth_required", True)
    assert bot_update["type"] == "orders"  # a log-out ends that session, not the user's keys


@pytest.mark.parametrize("change", ["deactivate", "password"])
def test_deactivating_a_user_or_changing_the_password_closes_every_private_stream(alice, change):
    _, cookie = signed_in(alice)
    _, headers = key_headers(alice)

    def end_the_right():
        user = User.objects.get(pk=alice.pk)
        if change == "deactivate":
            user.is_active = False
        else:
            user.set_password("a-whole-new-password-42")
        user.save()

    async def scenario():
        async with open_socket(cookie) as browser, open_socket(headers) as bot:
            await browser.subscribe("orders")
            await bot.subscribe("orders")
            await in_thread(end_the_right)()
            told = await browser.receive(timeout=1)
            if change == "password":
                return told, await bot.nothing(timeout=0.5)
            return told, (await bot.receive(timeout=1))["code"]

    told, bot = run(scenario)
    assert told["code"] == "auth_revoked"
    # Deactivation ends every right; a new password ends the sessions, the API keys stand.
    assert bot == ("auth_revoked" if change == "deactivate" else True)


def test_a_lost_revoke_event_is_caught_by_the_periodic_recheck(alice, monkeypatch):
    monkeypatch.setattr(access, "ACCESS_RECHECK_SECONDS", 0.2)
    key, headers = key_headers(alice)

    async def scenario():
        async with open_socket(headers) as ws:
            await ws.subscribe("orders")
            # Revoked behind the services' back: no event is published.
            await in_thread(
                lambda: ApiKey.objects.filter(pk=key.pk).update(revoked_at="2026-01-01T00:00Z")
            )()
            return await ws.receive(timeout=2)

    assert run(scenario)["code"] == "auth_revoked"


def test_a_revoked_key_on_the_alpaca_trading_stream_is_told_and_closed(alice):
    key, secret = api_key_create(user=alice, name="alpaca-py")

    async def scenario():
        ws = WebsocketCommunicator(application, "/stream")
        assert (await ws.connect(timeout=5))[0]
        await ws.send_to(
            text_data=json.dumps(
                {"action": "authenticate", "data": {"key_id": key.key_id, "secret_key": secret}}
            )
        )
        authorized = await ws.receive_json_from(timeout=5)
        await ws.send_to(
            text_data=json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}})
        )
        await ws.receive_json_from(timeout=5)
        await in_thread(api_key_revoke)(user=alice, key_id=key.key_id)
        told = await ws.receive_json_from(timeout=1)
        closed = await ws.receive_output(timeout=1)
        await ws.wait()
        return authorized, told, closed

    authorized, told, closed = run(scenario)
    assert authorized["data"]["status"] == "authorized"
    assert told == {
        "stream": "authorization",
        "data": {"status": "unauthorized", "action": "listen"},
    }
    assert closed == {"type": "websocket.close", "code": 4001}


def test_a_lost_revoke_event_on_the_alpaca_trading_stream_is_caught_by_the_same_recheck(
    alice, monkeypatch
):
    # /stream watches its key with streams.access, as /ws/ does: the same clock backs it up.
    monkeypatch.setattr(access, "ACCESS_RECHECK_SECONDS", 0.2)
    key, secret = api_key_create(user=alice, name="alpaca-py")

    async def scenario():
        ws = WebsocketCommunicator(application, "/stream")
        assert (await ws.connect(timeout=5))[0]
        await ws.send_to(
            text_data=json.dumps(
                {"action": "authenticate", "data": {"key_id": key.key_id, "secret_key": secret}}
            )
        )
        await ws.receive_json_from(timeout=5)
        # Revoked behind the services' back: no event is published.
        await in_thread(
            lambda: ApiKey.objects.filter(pk=key.pk).update(revoked_at="2026-01-01T00:00Z")
        )()
        told = await ws.receive_json_from(timeout=2)
        closed = await ws.receive_output(timeout=1)
        await ws.wait()
        return told, closed

    told, closed = run(scenario)
    assert told["data"]["status"] == "unauthorized"
    assert closed == {"type": "websocket.close", "code": 4001}
