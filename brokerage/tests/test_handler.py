"""Requests run whole, one after another, in one thread a process (brokerage.handler)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from django.http import HttpResponse
from django.urls import path

from brokerage.handler import SyncChainHandler

# The probe reads nothing, but each request's start and end check the process's kept
# database connection (Django's request signals), as in production.
pytestmark = pytest.mark.django_db

runs: list[tuple[int, float, float]] = []


def probe(request, n):
    start = time.perf_counter()
    time.sleep(0.02)  # long enough that requests in parallel threads would overlap
    runs.append((threading.get_ident(), start, time.perf_counter()))
    return HttpResponse(str(n))


urlpatterns = [path("probe/<int:n>", probe)]


async def _get(app, url: str) -> tuple[int, bytes]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": url, "raw_path": url.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }  # fmt: skip
    sent = asyncio.Event()
    out: dict = {}

    async def receive():
        if not sent.is_set():
            sent.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"] = out.get("body", b"") + message.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["body"]


@pytest.fixture
def app(settings):
    settings.ROOT_URLCONF = __name__
    runs.clear()
    return SyncChainHandler()


def test_the_middleware_chain_is_built_synchronous(app):
    assert not asyncio.iscoroutinefunction(app._middleware_chain)


def test_requests_sent_together_run_in_turn_in_one_thread(app):
    async def all_at_once():
        return await asyncio.gather(*(_get(app, f"/probe/{n}") for n in range(8)))

    answers = asyncio.run(all_at_once())

    assert answers == [(200, str(n).encode()) for n in range(8)]
    assert len({thread for thread, _, _ in runs}) == 1
    spans = sorted((start, end) for _, start, end in runs)
    assert all(
        end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False)
    )


def test_market_data_reads_go_to_their_lane_under_either_prefix_and_any_slashes():
    from django.test import RequestFactory

    from brokerage.handler import is_heavy_read

    factory = RequestFactory()
    for url in ("/v2/stocks/bars", "/api/v2/stocks/bars", "/api//v2/stocks/AAPL/trades"):
        assert is_heavy_read(factory.get(url)), url
    for url in ("/v2/orders", "/api/v2/account"):
        assert not is_heavy_read(factory.get(url)), url
