"""`brokerage watch`: the live streams as timestamped lines (or JSON lines), until Ctrl-C."""

from __future__ import annotations

import json
from decimal import Decimal

from client import format as fmt
from client.config import Config, websocket_url
from client.stream import Book, Stream

_PAST = {"buy": "bought", "sell": "sold"}


class Printer:
    """Turns stream events into lines; remembers what it showed so nothing is said twice."""

    def __init__(self) -> None:
        self.tops: dict[str, tuple] = {}
        self.trades_shown: dict[str, int] = {}

    def lines(self, event: dict, books: dict[str, Book]) -> list[str]:
        kind = event["type"]
        at = fmt.clock(event.get("ts"))
        symbol = event.get("symbol", "")
        if kind == "connected":
            who = f" as {event['user']}" if event.get("user") else ""
            again = "reconnected" if event["reconnect"] else "connected"
            return [f"{at} {again} to {event['url']}{who}"]
        if kind == "disconnected":
            return [f"{at} {event['reason']}; reconnecting in {event['retry_in']:.1f}s"]
        if kind == "resync":
            return [
                f"{at} {symbol} {event['channel']} gap after seq {event['had_seq']}: "
                "resyncing from a fresh snapshot"
            ]
        if kind == "quote":
            change = ""
            if event.get("change") is not None:
                change = f"  {fmt.signed(event['change'])} ({fmt.pct(event['change_pct'])})"
            stale = "  stale" if event.get("stale") else ""
            return [f"{at} {symbol:<6} quote  {fmt.money(event['price'])}{change}{stale}"]
        if kind == "trades.snapshot":
            # After a reconnect the snapshot holds what traded while we were away.
            seen = self.trades_shown.get(symbol)
            self.trades_shown[symbol] = max(event["seq"], seen or 0)
            if seen is None:
                return []
            missed = sorted((t for t in event["trades"] if t["seq"] > seen), key=lambda t: t["seq"])
            return [self._trade(fmt.clock(iso=t["time"]), symbol, t) for t in missed]
        if kind == "trades":
            out = []
            for trade in event["trades"]:
                if trade["seq"] > self.trades_shown.get(symbol, 0):
                    out.append(self._trade(at, symbol, trade))
                    self.trades_shown[symbol] = trade["seq"]
            return out
        if kind in ("book.snapshot", "book.delta"):
            book = books.get(symbol)
            if book is None or not book.synced:
                return []
            top = (book.best_bid, book.best_ask)
            if self.tops.get(symbol) == top:
                return []
            self.tops[symbol] = top
            return [f"{at} {symbol:<6} book   {_side(top[0], 'bid')}  {_side(top[1], 'ask')}"]
        if kind == "orders":
            out = []
            for item in event["events"]:
                order = item["order"]
                out.append(f"{at} {order['symbol']:<6} order  {item['event']}: {_order(order)}")
                for fill in item["fills"]:
                    out.append(
                        f"{at} {order['symbol']:<6} fill   {_PAST[fill['side']]} "
                        f"{fmt.qty(fill['qty'])} @ {fmt.money(fill['price'])} "
                        f"{fill['liquidity']}, fee {fmt.money(fill['fee'])}"
                    )
            return out
        if kind == "error":
            return [f"{at} server error: {event.get('message')} ({event.get('code')})"]
        return []

    @staticmethod
    def _trade(at: str, symbol: str, trade: dict) -> str:
        return (
            f"{at} {symbol:<6} trade  {fmt.qty(trade['qty'])} @ {fmt.money(trade['price'])}"
            f"  {trade['taker_side']}"
        )


def _side(level: tuple[Decimal, Decimal] | None, name: str) -> str:
    if level is None:
        return f"{name} -"
    return f"{name} {fmt.money(level[0])} x {fmt.qty(level[1])}"


def _order(order: dict) -> str:
    price = f"@ {fmt.money(order['limit_price'])}" if order.get("limit_price") else "market"
    filled = ""
    if Decimal(order["filled_qty"]) > 0:
        filled = f", filled {fmt.qty(order['filled_qty'])} @ {fmt.money(order['filled_avg_price'])}"
    return (
        f"{order['side']} {fmt.qty(order['qty'])} {price} {order['time_in_force']} "
        f"{order['status']}{filled}  id {order['id']}"
    )


async def watch(config: Config, symbols: list[str], *, as_json: bool, orders: bool) -> None:
    stream = Stream(
        websocket_url(config.base_url),
        symbols=symbols,
        key_id=config.key_id,
        secret_key=config.secret_key,
        orders=orders and config.has_key,
    )
    printer = Printer()
    async for event in stream.events():
        if as_json:
            print(json.dumps(event), flush=True)
            continue
        for line in printer.lines(event, stream.books):
            print(line, flush=True)
