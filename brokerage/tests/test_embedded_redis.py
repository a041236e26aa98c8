"""The embedded Redis that a machine without Redis gets: real, shared, and stopped afterwards."""

import os
from pathlib import Path

import pytest
import redis
from asgiref.sync import async_to_sync
from celery import Celery
from channels_redis.core import RedisChannelLayer

from brokerage import embedded_redis
from brokerage.tests.workers import celery_worker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def embedded():
    process, url = embedded_redis.start()
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_the_embedded_server_is_a_real_redis(embedded):
    client = redis.Redis.from_url(embedded)
    client.set("greeting", "hello")
    assert client.get("greeting") == b"hello"
    assert client.info("server")["redis_version"]


def test_the_channel_layer_round_trips_through_the_embedded_server(embedded):
    layer = RedisChannelLayer(hosts=[embedded])

    async def round_trip():
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "ping", "n": 1})
        message = await layer.receive(channel)
        await layer.flush()
        return message

    assert async_to_sync(round_trip)() == {"type": "ping", "n": 1}


@pytest.mark.integration
def test_a_real_worker_on_the_embedded_server_runs_a_task(embedded):
    client = Celery(broker=embedded, backend=embedded)
    with celery_worker(embedded):
        result = client.send_task("brokerage.ping", args=["embedded"])
        assert result.get(timeout=60) == "pong:embedded"


def test_an_unset_redis_url_starts_a_server_and_exports_it(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    url = embedded_redis.ensure_redis_url()
    try:
        assert os.environ["REDIS_URL"] == url
        assert redis.Redis.from_url(url).ping()
        # A second call reuses it rather than starting another.
        assert embedded_redis.ensure_redis_url() == url
    finally:
        embedded_redis._started.terminate()
        embedded_redis._started.wait(timeout=10)
