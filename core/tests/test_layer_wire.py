"""channels_redis's wire format, which `core.streams.publish_now` writes without the layer.

The publisher sends to `<prefix>__group__<group>` with the layer's own serializer in one Redis
pipeline (no event loop, one round trip). Should a channels_redis upgrade change the channel
name or the serialization, these fail instead of every stream going silent.
"""

from __future__ import annotations

import asyncio
import inspect
import os

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer

from core import streams


@pytest.fixture
def pubsub_layer(settings):
    prefix = f"wire-test-{os.getpid()}"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": prefix},
        }
    }
    return prefix


def test_the_layers_group_channel_is_the_prefix_then_group_then_the_name():
    source = inspect.getsource(RedisPubSubLoopLayer._get_group_channel_name)
    assert 'f"{self.prefix}__group__{group}"' in source
    assert "self.channel_layer.serialize(message)" in inspect.getsource(
        RedisPubSubLoopLayer.group_send
    )


def test_the_publisher_writes_to_the_pubsub_layer_directly(pubsub_layer, settings):
    layer = get_channel_layer()
    assert isinstance(layer, RedisPubSubChannelLayer)
    assert streams._pubsub_prefix(layer) == (settings.REDIS_URL, pubsub_layer)


def test_a_message_published_in_the_wire_format_reaches_a_channels_redis_subscriber(pubsub_layer):
    event = {"type": "stream.message", "symbol": "WIRE", "parts": {"trades": {"text": "{}"}}}

    async def scenario():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add("market.WIRE", channel)
        try:
            published = await sync_to_async(streams.publish_now)([("market.WIRE", event)])
            received = await asyncio.wait_for(layer.receive(channel), timeout=5)
        finally:
            await layer.group_discard("market.WIRE", channel)
            await layer.flush()
        return published, received

    published, received = async_to_sync(scenario)()
    assert published is True
    assert received == event
