"""The one caller of the channel layer: group names, the pipelined publish, watched symbols.

Groups, one per symbol (or user, or auction):

- `market.<SYMBOL>`: one event per committed transaction with up to two client messages: its
  `book.delta` and its `trades`. One event rather than one per stream halves the publishes and
  lets a socket subscribed to both get both frames in one write.
- `quotes.<SYMBOL>`: reference-price changes, `candles.<SYMBOL>`: bar updates.
- `orders.<user id>`: the user's private messages (order updates with their own fills, auction
  standings). Nothing about a counterparty goes in them.
- `auction.<id>` and `auctions`: one auction's events, and the index of all auctions.
- `access.<user id>`: control events, never shown to a client: `stream.revoke` says a right to
  the user's private streams ended (a key revoked, a session ended, the user deactivated or
  their password changed); every socket holding that right drops its private subscriptions.

Every layer event is `{"type": "stream.message", "channel", "symbol", "parts"}` where `parts`
maps a client channel (`book`, `trades`, `quotes`, `candles`, `orders`, `auction`) to
`{"first_seq", "seq", "text"}`: `text` is the client message already encoded as JSON, so that a
process with a thousand sockets subscribed encodes it zero times, not a thousand; the numbers
beside it are all a consumer needs to keep a stream's messages in order. Every client message
carries `ts`, the publish time in epoch milliseconds: publishing happens in
`transaction.on_commit`, so it is the commit time, and clients can measure delivery latency.

The set of *watched* symbols (those with at least one live subscriber somewhere) is kept in
Redis for the price-pull job: see `watched_symbols()`.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import queue
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, cast

import redis
from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from core.redis import redis_client

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")

Send = tuple[str, dict[str, Any]]


def _safe(symbol: str) -> str:
    # Group names allow only letters, digits, '-', '_' and '.': a few share classes are
    # written with a slash (CRD/B), which would make every send to their groups fail.
    return _UNSAFE.sub("_", symbol)


def market_group(symbol: str) -> str:
    """Book deltas and trades of `symbol` (see the module docstring)."""
    return f"market.{_safe(symbol)}"


def quotes_group(symbol: str) -> str:
    return f"quotes.{_safe(symbol)}"


def candles_group(symbol: str) -> str:
    return f"candles.{_safe(symbol)}"


def orders_group(user_id: int) -> str:
    return f"orders.{user_id}"


def auction_group(auction_id: object) -> str:
    return f"auction.{_safe(str(auction_id))}"


AUCTIONS_GROUP = "auctions"


def access_group(user_id: int) -> str:
    """Control events about the user's right to their private streams (`access_revoked`)."""
    return f"access.{user_id}"


def access_revoked(
    *,
    user_id: int,
    key_id: str | None = None,
    session_key: str | None = None,
    every_session: bool = False,
) -> None:
    """Tell every socket of the user that a right ended: one API key (`key_id`), one session
    (`session_key`), all their sessions (`every_session`), or (none said) every right. Called
    on commit by `accounts`."""
    publish(
        [
            (
                access_group(user_id),
                {
                    "type": "stream.revoke",
                    "user_id": user_id,
                    "key_id": key_id,
                    "session_key": session_key,
                    "every_session": every_session,
                },
            )
        ]
    )


def streamable(group: str) -> bool:
    """Whether the channel layer accepts `group` as a group name."""
    return len(group) < BaseChannelLayer.MAX_NAME_LENGTH and bool(
        BaseChannelLayer.group_name_regex.match(group)
    )


def now_ms() -> float:
    """Wall-clock epoch milliseconds, the unit of every message's `ts`."""
    return round(time.time() * 1000, 3)


def encode(message: Mapping[str, Any]) -> str:
    """Compact JSON; Decimals become strings and datetimes ISO 8601, as in the REST API."""
    return json.dumps(message, cls=DjangoJSONEncoder, separators=(",", ":"))


def _part(message: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "first_seq": message.get("first_seq"),
        "seq": message.get("seq"),
        "text": encode(message),
    }


def event(
    channel: str, symbol: str | None, parts: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """A layer event carrying client messages, one per client channel, already encoded."""
    return {
        "type": "stream.message",
        "channel": channel,
        "symbol": symbol,
        "parts": {name: _part(message) for name, message in parts.items()},
    }


async def _send_all(layer: BaseChannelLayer, sends: list[Send]) -> None:
    for group, layer_event in sends:
        try:
            await layer.group_send(group, layer_event)
        except Exception:  # a stream outage must never undo or fail a committed trade
            log.exception("could not publish to %s", group)


def _pubsub_prefix(layer: BaseChannelLayer) -> tuple[str, str] | None:
    """(Redis URL, channel prefix) of the pub/sub layer when one URL serves it, else None."""
    if not isinstance(layer, RedisPubSubChannelLayer):
        return None
    config = settings.CHANNEL_LAYERS["default"].get("CONFIG", {})
    hosts = config.get("hosts") or []
    if len(hosts) != 1 or not isinstance(hosts[0], str):
        return None  # sharded or configured by dict: leave it to the layer
    return hosts[0], config.get("prefix", "asgi")


PUBLISH_QUEUE_SIZE = 10_000
PUBLISH_TIMEOUT_SECONDS = 0.5
# Long enough to ride out a Redis restart or failover, or this host cut off for a while.
PUBLISH_RETRY_SECONDS = 30.0
_BATCH = 200


def publish(sends: list[Send]) -> None:
    """Hand layer events to this process's publisher thread; returns at once.

    Called from `transaction.on_commit` on the request thread, which must not wait on Redis:
    with Redis slow or frozen every order would take the publish timeout longer and hold its
    database connection meanwhile. The one publisher thread keeps this process's order (FIFO),
    batches what queued up into one pipeline, waits on Redis `PUBLISH_TIMEOUT_SECONDS` a try
    and tries again (the same batch, in order) for up to `PUBLISH_RETRY_SECONDS`. Past `PUBLISH_QUEUE_SIZE` waiting events, new ones are dropped
    and counted (`publisher_stats()`): sequenced streams repair a gap with a snapshot.
    """
    if sends:
        _publisher.submit(sends)


def publish_now(sends: list[Send], *, batch_id: str | None = None) -> bool:
    """Send layer events in order, on this thread; with the pub/sub layer, in one round trip.
    True when Redis took them (or they failed for another reason, logged: trying again would
    not help); False (logged) when Redis could not be reached in time.

    Writing the layer's own wire format (its serializer, its `<prefix>__group__<group>`
    channel) with a plain Redis pipeline costs one round trip and no hop onto an event loop.
    Other layers get `group_send`. `core/tests/test_layer_wire.py` fails should a channels_redis
    upgrade change that format. Sending the same `batch_id` again (a retry after a timeout,
    when Redis may or may not have run the first try) numbers the private messages as the
    first try did, so a client sees at most a repeat of a seq, never a seq with no message.
    """
    if not sends:
        return True
    layer = get_channel_layer()
    if layer is None:
        return True
    direct = _pubsub_prefix(layer)
    try:
        if direct is not None:
            url, prefix = direct
            pubsub = cast(RedisPubSubChannelLayer, layer)  # what _pubsub_prefix checked
            client = redis_client(url=url, timeout=PUBLISH_TIMEOUT_SECONDS)
            pipe = client.pipeline(transaction=False)
            sends = _number_private(client, pipe, prefix, sends, batch_id or uuid.uuid4().hex)
            for group, layer_event in sends:
                pipe.publish(f"{prefix}__group__{group}", pubsub.serialize(layer_event))
            pipe.execute()
        else:
            async_to_sync(_send_all)(layer, sends)
    except (redis.RedisError, OSError) as exc:  # Redis out of reach: worth another try
        log.warning("could not publish %d stream messages: %r", len(sends), exc)
        return False
    except Exception:  # a stream failure must never undo or fail a committed trade
        _publisher.failed += len(sends)
        log.exception("could not publish %d stream messages", len(sends))
    return True


# The private `orders` channel: each user's messages are numbered 1, 2, 3... by a Redis counter
# as they are published, and the last ORDERS_REPLAY of them are kept for a reconnecting client
# (`orders_replay`), for ORDERS_REPLAY_SECONDS.
ORDERS_REPLAY = 1000
ORDERS_REPLAY_SECONDS = 86_400


def orders_seq_key(prefix: str, user_group: str) -> str:
    return f"{prefix}:seq:{user_group}"


def orders_replay_key(prefix: str, user_group: str) -> str:
    return f"{prefix}:replay:{user_group}"


# A user's seqs for one batch, taken once: a retry of the batch (same id) gets the same ones,
# even when the first try's reply was lost after Redis ran it (frozen, then resumed).
_ALLOCATE = """
local taken = redis.call('GET', KEYS[2])
if taken then return tonumber(taken) end
local last = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], last, 'EX', ARGV[2])
return last
"""
ALLOCATION_KEPT_SECONDS = 300


def _number_private(
    client: Any, pipe: Any, prefix: str, sends: list[Send], batch_id: str
) -> list[Send]:
    """Give every private `orders` message its user's next `seq` (one allocation per user and
    batch, idempotent by `batch_id`), and queue it for the replay list on `pipe`."""
    counts = Counter(
        group for group, ev in sends if group.startswith("orders.") and "orders" in ev["parts"]
    )
    if not counts:
        return sends
    incr = client.pipeline(transaction=False)
    for group, count in counts.items():
        incr.eval(
            _ALLOCATE, 2, orders_seq_key(prefix, group), f"{prefix}:seqbatch:{batch_id}:{group}",
            count, ALLOCATION_KEPT_SECONDS,
        )  # fmt: skip
    ends = dict(zip(counts, incr.execute(), strict=True))
    following = {group: int(ends[group]) - counts[group] + 1 for group in counts}
    numbered: list[Send] = []
    for group, layer_event in sends:
        if group in following and "orders" in layer_event["parts"]:
            seq = following[group]
            following[group] += 1
            text = layer_event["parts"]["orders"]["text"]
            text = f'{text[:-1]},"seq":{seq}}}'  # the encoded object, with its seq appended
            part = {"first_seq": seq, "seq": seq, "text": text}
            layer_event = {**layer_event, "parts": {**layer_event["parts"], "orders": part}}
            replay = orders_replay_key(prefix, group)
            pipe.lpush(replay, text)
            pipe.ltrim(replay, 0, ORDERS_REPLAY - 1)
            pipe.expire(replay, ORDERS_REPLAY_SECONDS)
        numbered.append((group, layer_event))
    return numbered


def orders_replay(user_id: int, since_seq: int | None) -> tuple[int, list[str], bool]:
    """(the user's last `seq`, their messages after `since_seq` oldest first, whether those
    are complete) for an `orders` snapshot. Without the pub/sub layer there is no sequence."""
    layer = get_channel_layer()
    direct = _pubsub_prefix(layer) if layer is not None else None
    if direct is None:
        return 0, [], since_seq is None
    url, prefix = direct
    group = orders_group(user_id)
    pipe = redis_client(url=url, timeout=2).pipeline(transaction=True)
    pipe.get(orders_seq_key(prefix, group))
    pipe.lrange(orders_replay_key(prefix, group), 0, ORDERS_REPLAY - 1)
    raw_seq, kept = pipe.execute()
    seq = int(raw_seq or 0)
    if since_seq is None:
        return seq, [], True
    texts = [t.decode() if isinstance(t, bytes) else t for t in reversed(kept)]
    after, seen = [], set()
    for text in texts:  # a retried publish may have kept a message twice: once each
        n = json.loads(text).get("seq", 0)
        if n > since_seq and n not in seen:
            seen.add(n)
            after.append(text)
    oldest = json.loads(texts[0]).get("seq", 1) if texts else seq + 1
    return seq, after, since_seq >= seq or oldest <= since_seq + 1


class _Publisher:
    """One daemon thread per process draining a bounded queue of sends into `publish_now`."""

    def __init__(self) -> None:
        self.queue: queue.Queue[list[Send]] = queue.Queue(maxsize=PUBLISH_QUEUE_SIZE)
        self.thread: threading.Thread | None = None
        self.pid = 0
        self.lock = threading.Lock()
        self.dropped = 0
        self.failed = 0

    def submit(self, sends: list[Send]) -> None:
        self._ensure_thread()
        try:
            self.queue.put_nowait(sends)
        except queue.Full:
            self.dropped += len(sends)
            log.error("stream publish queue full: dropped %d messages", len(sends))

    def _ensure_thread(self) -> None:
        # After a fork (Celery's prefork children) the parent's thread does not exist here.
        if self.thread is not None and self.pid == os.getpid() and self.thread.is_alive():
            return
        with self.lock:
            if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
                if self.pid != os.getpid():
                    self.queue = queue.Queue(maxsize=PUBLISH_QUEUE_SIZE)
                self.pid = os.getpid()
                self.thread = threading.Thread(
                    target=self._run, name="stream-publisher", daemon=True
                )
                self.thread.start()

    def _run(self) -> None:
        while True:
            batch = [self.queue.get()]
            while len(batch) < _BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            sends = [send for sends in batch for send in sends]
            try:
                self._send_retrying(sends)
            finally:
                for _ in batch:
                    self.queue.task_done()

    def _send_retrying(self, sends: list[Send]) -> None:
        """Send, and while Redis cannot be reached (restarting, frozen, failing over) try again
        for up to PUBLISH_RETRY_SECONDS, in order, the batch under one id; then give up."""
        batch_id = uuid.uuid4().hex
        deadline = time.monotonic() + PUBLISH_RETRY_SECONDS
        delay = 0.05
        while not publish_now(sends, batch_id=batch_id):
            if time.monotonic() + delay > deadline:
                self.failed += len(sends)
                log.error("gave up publishing %d stream messages", len(sends))
                return
            time.sleep(delay)
            delay = min(1.0, delay * 2)

    def flush(self, timeout: float) -> bool:
        """Wait until everything submitted so far was sent (or failed); False on timeout."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)
        return True


_publisher = _Publisher()
atexit.register(_publisher.flush, 2.0)


def publish_flush(timeout: float = 5.0) -> bool:
    """Wait for this process's queued stream messages to go out (tests, commands, exit)."""
    return _publisher.flush(timeout)


def publisher_stats() -> dict[str, int]:
    """Messages waiting, dropped because the queue was full, and failed to reach Redis."""
    return {
        "queued": _publisher.queue.qsize(),
        "dropped": _publisher.dropped,
        "failed": _publisher.failed,
    }


def publish_one(group: str, channel: str, symbol: str | None, message: Mapping[str, Any]) -> None:
    """Publish one client message on one client channel to one group."""
    publish([(group, event(channel, symbol, {channel: message}))])


# --------------------------------------------------------------------------- watched symbols
WATCHED_KEY = "brokerage:watched_symbols"
# A symbol counts as watched this long after a process last said it has a subscriber; every
# process re-says so well within it, so a crashed process's symbols fade out on their own.
WATCH_TTL_SECONDS = 60
_WATCH_REFRESH_SECONDS = 20


def _mark_watched(symbols: Iterable[str]) -> None:
    now = time.time()
    mapping = {symbol: now for symbol in symbols}
    if mapping:
        redis_client(timeout=2).zadd(WATCHED_KEY, mapping)


def watched_symbols(max_age: float = WATCH_TTL_SECONDS) -> list[str]:
    """Symbols someone is watching live right now (a book, trades, quotes or candles stream).

    For the price-pull job: pull these first. Sorted by symbol.
    """
    cutoff = time.time() - max_age
    pipe = redis_client(timeout=2).pipeline()
    pipe.zremrangebyscore(WATCHED_KEY, "-inf", f"({cutoff}")
    pipe.zrangebyscore(WATCHED_KEY, cutoff, "+inf")
    _, members = pipe.execute()
    return sorted(m.decode() if isinstance(m, bytes) else m for m in members)


class _LocalWatches:
    """This process's subscriber counts per symbol, mirrored into the Redis sorted set.

    One refresher per process (not one per socket) keeps a thousand subscribers of a symbol
    down to one Redis write every `_WATCH_REFRESH_SECONDS`.
    """

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None

    async def add(self, symbol: str) -> None:
        self.counts[symbol] += 1
        if self.counts[symbol] == 1:
            await self._write([symbol])
        self._ensure_refresher()

    def remove(self, symbol: str) -> None:
        # A symbol nobody here watches any more simply stops being refreshed and expires.
        self.counts[symbol] -= 1
        if self.counts[symbol] <= 0:
            del self.counts[symbol]

    def _ensure_refresher(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._refresh())

    async def _refresh(self) -> None:
        while self.counts:
            await asyncio.sleep(_WATCH_REFRESH_SECONDS)
            await self._write(list(self.counts))

    async def _write(self, symbols: list[str]) -> None:
        try:
            await asyncio.to_thread(_mark_watched, symbols)
        except Exception:  # a slow or absent Redis must not break a subscription
            log.warning("could not mark %s as watched", symbols, exc_info=True)


_local_watches = _LocalWatches()


async def watch_symbol(symbol: str) -> None:
    """A socket in this process started a stream of `symbol`."""
    await _local_watches.add(symbol)


def unwatch_symbol(symbol: str) -> None:
    """A socket in this process stopped a stream of `symbol`."""
    _local_watches.remove(symbol)
