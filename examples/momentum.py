"""A small momentum bot: buys when the fast average of trade prices crosses above the slow one.

    python examples/momentum.py AAPL --fast 5 --slow 20 --size 10

It reads the `trades` stream (and `quotes`, so a quiet book still has prices). Flat and the
fast average above the slow one by `--threshold`: it buys `--size` at market. Long and the
fast average below: it sells what it bought (never shares you held before it started).
Money stays Decimal throughout.
Credentials: `brokerage login` or the APCA_* variables.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import deque
from decimal import Decimal

from client import Client, ClientError
from client.stream import Stream


def signal(prices: list[Decimal], fast: int, slow: int, threshold: Decimal) -> str | None:
    """ "buy", "sell" or None from two simple moving averages of the latest prices."""
    if len(prices) < slow:
        return None
    fast_avg = sum(prices[-fast:], Decimal(0)) / fast
    slow_avg = sum(prices[-slow:], Decimal(0)) / slow
    if fast_avg > slow_avg * (1 + threshold):
        return "buy"
    if fast_avg < slow_avg * (1 - threshold):
        return "sell"
    return None


async def run(args) -> None:
    api = Client.from_config()
    symbol = args.symbol.upper()
    prices: deque[Decimal] = deque(maxlen=args.slow)
    bought = Decimal(0)  # what this bot holds: filled buys less filled sells
    stream = Stream(
        api.ws_url, symbols=[symbol], channels=("trades", "quotes"), retry_first_connect=True
    )
    async for event in stream.events():
        if event["type"] == "trades":
            prices.extend(Decimal(t["price"]) for t in event["trades"])
        elif event["type"] == "quote" and event["price"]:
            prices.append(Decimal(event["price"]))
        else:
            continue
        side = signal(list(prices), args.fast, args.slow, args.threshold)
        if side == "buy" and bought == 0:
            order = await asyncio.to_thread(api.buy, symbol, args.size)
            bought += Decimal(order["filled_qty"])
        elif side == "sell" and bought > 0:
            order = await asyncio.to_thread(api.sell, symbol, bought)
            bought -= Decimal(order["filled_qty"])
        else:
            continue
        print(
            f"{symbol}: {side} {order['qty']}: {order['status']} @ {order['filled_avg_price']}",
            flush=True,
        )
        prices.clear()  # start the averages afresh after a trade of our own


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("symbol")
    parser.add_argument("--fast", type=int, default=5)
    parser.add_argument("--slow", type=int, default=20)
    parser.add_argument("--threshold", type=Decimal, default=Decimal("0.001"))
    parser.add_argument("--size", type=Decimal, default=Decimal("10"))
    try:
        asyncio.run(run(parser.parse_args()))
    except ClientError as exc:
        sys.exit(f"momentum: {exc.message}")
    except KeyboardInterrupt:
        sys.exit(130)
