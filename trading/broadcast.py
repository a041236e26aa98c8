"""The one place that sends to the channel layer: typed payloads for the live streams.

Groups, one per symbol (or user):

- `market.<SYMBOL>`: one event per committed transaction with up to two client messages: its
  `book.delta` (every price level it changed, each with its own `seq`, contiguous from
  `first_seq` to `seq`) and its `trades` (all its executions; `seq` is the per-symbol trade
  sequence, also contiguous). One event rather than one per stream halves the publishes and
  lets a socket subscribed to both get both frames in one write.
- `quotes.<SYMBOL>`: reference-price changes, `candles.<SYMBOL>`: bar updates.
- `orders.<user id>`: one private `orders` message per user per transaction: that user's order
  updates with their own fills attached. Nothing about the counterparty goes in it.

Every layer event is `{"type": "stream.message", "channel", "symbol", "parts"}` where `parts`
maps a client channel (`book`, `trades`, `quotes`, `candles`, `orders`) to `{"first_seq",
"seq", "text"}`: `text` is the client message already encoded as JSON, so that a process with
a thousand sockets subscribed encodes it zero times, not a thousand; the numbers beside it are
all a consumer needs to keep a symbol's messages in order (see `trading.consumers`). Every
client message carries `ts`, the publish time in epoch milliseconds: publishing happens in
`transaction.on_commit`, so it is the commit time, and clients can measure delivery latency.

This module also keeps the set of *watched* symbols (those with at least one live subscriber
somewhere) in Redis, for the price-pull job: see `watched_symbols()`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Iterable

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")

# Trade fields only the two parties may see: they are stripped from the public trade tape.
_PRIVATE_TRADE_FIELDS = ("buy_order_id", "sell_order_id", "buyer_fee", "seller_fee")


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


def _dec(value) -> str | None:
    return None if value is None else str(value)


def now_ms() -> float:
    """Wall-clock epoch milliseconds, the unit of every message's `ts`."""
    return round(time.time() * 1000, 3)


def encode(message: dict) -> str:
    """Compact JSON; Decimals become strings and datetimes ISO 8601, as in the REST API."""
    return json.dumps(message, cls=DjangoJSONEncoder, separators=(",", ":"))


# --------------------------------------------------------------------------- payloads
def trade_payload(trade, symbol: str) -> dict:
    """A trade as built inside the order transaction (public fields plus the parties' own)."""
    return {
        "symbol": symbol,
        "seq": trade.seq,
        "price": _dec(trade.price),
        "qty": str(trade.qty),
        "maker_side": trade.maker_side,
        "taker_side": "sell" if trade.maker_side == "buy" else "buy",
        "time": trade.executed_at.isoformat(),
        "buy_order_id": str(trade.buy_order_id),
        "sell_order_id": str(trade.sell_order_id),
        "buyer_fee": _dec(trade.buyer_fee),
        "seller_fee": _dec(trade.seller_fee),
    }


def public_trade(trade: dict) -> dict:
    """What the public tape shows of a trade: no order ids, no fees."""
    return {k: v for k, v in trade.items() if k not in _PRIVATE_TRADE_FIELDS}


def order_payload(order, symbol: str) -> dict:
    return {
        "id": str(order.id),
        "client_order_id": order.client_order_id,
        "symbol": symbol,
        "side": order.side,
        "type": order.type,
        "time_in_force": order.time_in_force,
        "qty": str(order.qty),
        "filled_qty": str(order.filled_qty),
        "filled_avg_price": _dec(order.filled_avg_price),
        "limit_price": _dec(order.limit_price),
        "status": order.status,
        "reason": order.reason,
        "created_at": (order.created_at.isoformat() if order.created_at else None),
        "updated_at": (order.updated_at.isoformat() if order.updated_at else None),
    }


def quote_payload(stock) -> dict:
    """A stock's reference price as the `quotes` stream sends it; `publish_quotes` takes these."""
    change = stock.change
    change_pct = stock.change_pct
    return {
        "symbol": stock.symbol,
        "price": _dec(stock.reference_price),
        "previous_close": _dec(stock.previous_close),
        "change": _dec(change),
        "change_pct": _dec(change_pct),
        "stale": bool(stock.price_stale),
        "source": stock.price_source,
        "time": stock.price_updated_at.isoformat() if stock.price_updated_at else None,
    }


def book_delta_message(symbol: str, deltas: list[dict], ts: float) -> dict:
    """One transaction's changed levels; quantities are new totals, "0" meaning the level is gone."""
    levels = [{**d, "qty": str(d["qty"])} for d in deltas]
    return {
        "type": "book.delta",
        "symbol": symbol,
        "first_seq": levels[0]["seq"],
        "seq": levels[-1]["seq"],
        "levels": levels,
        "ts": ts,
    }


def trades_message(symbol: str, trades: list[dict], ts: float) -> dict:
    return {
        "type": "trades",
        "symbol": symbol,
        "first_seq": trades[0]["seq"],
        "seq": trades[-1]["seq"],
        "trades": [public_trade(t) for t in trades],
        "ts": ts,
    }


def _fills_of(order: dict, trades: list[dict]) -> list[dict]:
    """The executions of one order in this transaction, seen from its owner's side."""
    mine = []
    for trade in trades:
        if order["id"] == trade.get("buy_order_id"):
            side, fee = "buy", trade.get("buyer_fee")
        elif order["id"] == trade.get("sell_order_id"):
            side, fee = "sell", trade.get("seller_fee")
        else:
            continue
        mine.append(
            {
                "trade_seq": trade["seq"],
                "side": side,
                "price": trade["price"],
                "qty": trade["qty"],
                "fee": fee,
                "liquidity": "maker" if trade["maker_side"] == side else "taker",
                "time": trade["time"],
            }
        )
    return mine


def orders_messages(
    symbol: str, trades: list[dict], order_events: list[tuple[int, str, dict]], ts: float
) -> dict[int, dict]:
    """One private message per user: their orders' updates, each with its own fills."""
    by_user: dict[int, dict[str, dict]] = {}
    for user_id, event, order in order_events:
        events = by_user.setdefault(user_id, {})
        # A resting order hit by several fills in one transaction is listed once per fill;
        # every listing carries the same final state, so one entry (with all fills) is enough.
        if order["id"] not in events:
            events[order["id"]] = {
                "event": event,
                "order": order,
                "fills": _fills_of(order, trades),
            }
    return {
        user_id: {"type": "orders", "symbol": symbol, "events": list(events.values()), "ts": ts}
        for user_id, events in by_user.items()
    }


# --------------------------------------------------------------------------- sending
def _part(message: dict) -> dict:
    return {
        "first_seq": message.get("first_seq"),
        "seq": message.get("seq"),
        "text": encode(message),
    }


def _event(channel: str, symbol: str | None, parts: dict[str, dict]) -> dict:
    return {
        "type": "stream.message",
        "channel": channel,
        "symbol": symbol,
        "parts": {name: _part(message) for name, message in parts.items()},
    }


async def _send_all(layer, sends: list[tuple[str, dict]]) -> None:
    for group, event in sends:
        try:
            await layer.group_send(group, event)
        except Exception:  # a stream outage must never undo or fail a committed trade
            log.exception("could not publish to %s", group)


def _pubsub_publisher(layer) -> tuple[redis.Redis, str] | None:
    """A direct line to Redis for the pub/sub layer: (client, channel prefix), else None."""
    if not isinstance(layer, RedisPubSubChannelLayer):
        return None
    hosts = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts") or []
    if len(hosts) != 1 or not isinstance(hosts[0], str):
        return None  # sharded or configured by dict: leave it to the layer
    url, prefix = hosts[0], settings.CHANNEL_LAYERS["default"]["CONFIG"].get("prefix", "asgi")
    client = _publish_clients.get(url)
    if client is None:
        client = _publish_clients[url] = redis.Redis.from_url(
            url, socket_timeout=2, socket_connect_timeout=2
        )
    return client, prefix


_publish_clients: dict[str, redis.Redis] = {}


def _publish(sends: list[tuple[str, dict]]) -> None:
    """Send in order; with the pub/sub layer, in one Redis round trip from this thread.

    Publishing happens in the committing thread. Going through the layer's async API would hop
    onto the server's event loop and wait there behind whatever it is doing (fanning a message
    out to a thousand sockets, say) once per group; writing the layer's own wire format (its
    serializer, its `<prefix>__group__<group>` channel) with a plain Redis pipeline costs one
    round trip and no wait. Other layers get `group_send`.
    """
    if not sends:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    direct = _pubsub_publisher(layer)
    try:
        if direct is not None:
            client, prefix = direct
            pipe = client.pipeline(transaction=False)
            for group, event in sends:
                pipe.publish(f"{prefix}__group__{group}", layer.serialize(event))
            pipe.execute()
        else:
            async_to_sync(_send_all)(layer, sends)
    except Exception:  # a stream outage must never undo or fail a committed trade
        log.exception("could not publish %d stream messages", len(sends))


def publish_market(
    symbol: str, deltas: list[dict], trades: list[dict], order_events: list[tuple[int, str, dict]]
) -> None:
    """Publish one committed transaction: its book delta, its trades, each user's order updates.

    Called from `transaction.on_commit`: in commit order within a process, but possibly out of
    order across processes; the `seq` numbers let consumers put book and trades back in order.
    """
    ts = now_ms()
    sends: list[tuple[str, dict]] = []
    market: dict[str, dict] = {}
    if deltas:
        market["book"] = book_delta_message(symbol, deltas, ts)
    if trades:
        market["trades"] = trades_message(symbol, trades, ts)
    if market:
        sends.append((market_group(symbol), _event("market", symbol, market)))
    for user_id, message in orders_messages(symbol, trades, order_events, ts).items():
        sends.append((orders_group(user_id), _event("orders", symbol, {"orders": message})))
    _publish(sends)


def publish_quotes(quotes: list[dict]) -> None:
    """Publish reference-price changes (see `quote_payload`), one message per symbol."""
    ts = now_ms()
    _publish(
        [
            (
                quotes_group(quote["symbol"]),
                _event("quotes", quote["symbol"], {"quotes": {"type": "quote", **quote, "ts": ts}}),
            )
            for quote in quotes
        ]
    )


def publish_candle(candle: dict) -> None:
    """Publish a bar update: `{"symbol", "interval", "start", "open", "high", "low", "close",
    "volume", ...}` as the market-data app keeps it (a still-forming bar may be sent repeatedly)."""
    symbol = candle["symbol"]
    _publish(
        [
            (
                candles_group(symbol),
                _event(
                    "candles", symbol, {"candles": {"type": "candle", **candle, "ts": now_ms()}}
                ),
            )
        ]
    )


# --------------------------------------------------------------------------- watched symbols
WATCHED_KEY = "brokerage:watched_symbols"
# A symbol counts as watched this long after a process last said it has a subscriber; every
# process re-says so well within it, so a crashed process's symbols fade out on their own.
WATCH_TTL_SECONDS = 60
_WATCH_REFRESH_SECONDS = 20

_redis_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _redis_client
    if _redis_client is None:
        _redis_client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
    return _redis_client


def _mark_watched(symbols: Iterable[str]) -> None:
    now = time.time()
    mapping = {symbol: now for symbol in symbols}
    if mapping:
        _redis().zadd(WATCHED_KEY, mapping)


def watched_symbols(max_age: float = WATCH_TTL_SECONDS) -> list[str]:
    """Symbols someone is watching live right now (a book, trades, quotes or candles stream).

    For the price-pull job: pull these first. Sorted by symbol.
    """
    client = _redis()
    cutoff = time.time() - max_age
    pipe = client.pipeline()
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
        self._task: asyncio.Task | None = None

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


__all__ = [
    "candles_group",
    "market_group",
    "orders_group",
    "publish_candle",
    "publish_market",
    "publish_quotes",
    "quote_payload",
    "quotes_group",
    "watched_symbols",
]
