"""Django's HTTP side under daphne: each request runs whole, in turn, in one thread a process."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponseBase

# Market-data reads (history, bars, trades, quotes, snapshots, candles): each may cost tens
# of milliseconds or more. They run in a lane of their own, one thread a process, so that one
# client looping the heaviest read never queues order entry, the account or the pages behind
# it; the two threads share the GIL, switching every few milliseconds, so a placement waits
# for a slice, not for the whole read.
# Read before the middleware collapses repeated slashes (`/api//v2/…`, a base URL ending in one).
HEAVY_READS = re.compile(r"^/+(?:api/+)?v2/+stocks/|^/api/v1/stocks/[^/]+/(?:candles|trades)")
_reads_lane = ThreadPoolExecutor(max_workers=1, thread_name_prefix="heavy-reads")


def is_heavy_read(request: HttpRequest) -> bool:
    return request.method in ("GET", "HEAD") and bool(HEAVY_READS.match(request.path_info))


def _in_lane(get_response):
    """`get_response` in the reads lane, which manages its own database connection (the
    request signals that close connections run in the main sync thread)."""

    def run(request: HttpRequest) -> HttpResponseBase:
        close_old_connections()
        try:
            return get_response(request)
        finally:
            close_old_connections()

    return run


class SyncChainHandler(ASGIHandler):
    """Run each request's middleware and view in one go in the process's sync thread, as a
    WSGI worker does, one request after another.

    Django's own ASGI handler differs in two ways, both costly for a server whose views and
    middleware are all synchronous:

    - It gives every request a thread of its own (`ThreadSensitiveContext`). Sixteen requests
      then share the GIL, switching every few milliseconds, and each one's measured server
      time was 70–90 ms for 6 ms of work; requests finished in no particular order, so that a
      bidding war's bids arrived out of the order they were sent in and a third were refused.
      Here they run in turn in one thread (asgiref's thread-sensitive executor), in the order
      the event loop read them. Serving more at once is the job of more processes
      (`WEB_CONCURRENCY`), which also use more cores.
    - It builds the middleware chain for async, so every switch between a middleware that
      can run async and one that cannot hands the request from the thread to the event loop
      and back (eight switches a placement). Here the chain is built as for WSGI and entered
      once.

    The event loop itself (websockets, the stream relay, reading requests) is untouched; a
    websocket consumer's database reads queue in the same thread as the requests. Market-data
    reads (`HEAVY_READS`) take a second lane, so that they never hold the first one up.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP only, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        if is_heavy_read(request):
            lane = sync_to_async(
                _in_lane(self.get_response), thread_sensitive=False, executor=_reads_lane
            )
            return await lane(request)
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
