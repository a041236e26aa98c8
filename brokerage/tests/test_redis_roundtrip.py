"""Round trips through the configured Redis: the Channels layer and a real Celery worker."""

from pathlib import Path

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings

from brokerage.asgi import application
from brokerage.celery import app as celery_app
from brokerage.celery import ping
from brokerage.tests.workers import celery_worker

ROOT = Path(__file__).resolve().parents[2]


def test_the_channel_layer_carries_a_message_through_redis():
    layer = get_channel_layer()
    assert type(layer).__module__.startswith("channels_redis")

    async def round_trip():
        channel = await layer.new_channel()
        await layer.group_add("roundtrip", channel)
        await layer.group_send("roundtrip", {"type": "hello", "n": 7})
        message = await layer.receive(channel)
        await layer.group_discard("roundtrip", channel)
        return message

    assert async_to_sync(round_trip)() == {"type": "hello", "n": 7}


@pytest.mark.django_db(transaction=True)
def test_a_websocket_subscriber_hears_a_broadcast_through_the_layer():
    from marketdata import streams as md_streams
    from trading.tests.factories import make_stock

    make_stock("ZRT", "10.00")

    async def talk():
        communicator = WebsocketCommunicator(
            application,
            "/ws/",
            headers=[(b"host", b"testserver"), (b"origin", b"http://testserver")],
        )
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from(timeout=5))["type"] == "hello"
        await communicator.send_json_to(
            {"action": "subscribe", "channel": "candles", "symbol": "ZRT"}
        )
        assert (await communicator.receive_json_from(timeout=5))["type"] == "subscribed"
        await sync_to_async(md_streams.publish_candle)({"symbol": "ZRT", "close": "10.5"})
        reply = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return reply

    reply = async_to_sync(talk)()
    assert (reply["type"], reply["symbol"], reply["close"]) == ("candle", "ZRT", "10.5")


@pytest.mark.integration
def test_a_real_celery_worker_executes_a_task():
    assert celery_app.conf.broker_url == settings.REDIS_URL
    with celery_worker(settings.REDIS_URL, queue="roundtrip"):
        result = ping.apply_async(args=["abc"], queue="roundtrip")
        assert result.get(timeout=60) == "pong:abc"
