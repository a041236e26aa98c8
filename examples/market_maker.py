"""A small market maker: one bid and one ask around the reference price, requoted as it moves.

    python examples/market_maker.py AAPL --spread 0.20 --size 10

On a move of `--move` ticks in the `quotes` stream, or a fill in its `orders` stream, it
quotes again: leaning away from what it bought or sold since it started, never crossing the
book. Ctrl-C (or `--seconds`) cancels its orders. Credentials: `brokerage login` or APCA_*.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from client import Client, ClientError
from client.stream import Stream


def quote_prices(fair: Decimal, spread: Decimal, tick: Decimal, lean: Decimal, book: dict):
    """(bid, ask) on the tick grid around fair + lean, a tick clear of the other side's best."""
    bid = ((fair + lean - spread / 2) / tick).to_integral_value(ROUND_FLOOR) * tick
    ask = ((fair + lean + spread / 2) / tick).to_integral_value(ROUND_CEILING) * tick
    if book["asks"]:
        bid = min(bid, Decimal(book["asks"][0]["price"]) - tick)
    if book["bids"]:
        ask = max(ask, Decimal(book["bids"][0]["price"]) + tick)
    return bid, max(ask, bid + tick)


class MarketMaker:
    def __init__(self, api: Client, symbol: str, spread: Decimal, size: Decimal, move: int):
        self.api, self.symbol, self.spread, self.size = api, symbol, spread, size
        stock = api.stock(symbol)
        self.tick = Decimal(stock["tick_size"])
        self.fair = Decimal(stock["reference_price"])
        self.move = self.tick * move
        self.start: Decimal | None = None  # shares held at the start: the lean is from there

    def requote(self) -> None:
        for order in self.api.orders(status="open", symbols=[self.symbol]):
            self.api.cancel(order["id"])
        positions = {p["symbol"]: Decimal(p["qty"]) for p in self.api.positions()}
        held = positions.get(self.symbol, Decimal(0))
        self.start = held if self.start is None else self.start
        lean = -(held - self.start) / self.size * self.spread / 4  # long: quote lower
        book = self.api.book(self.symbol, depth=1)
        bid, ask = quote_prices(self.fair, self.spread, self.tick, lean, book)
        self.api.buy(self.symbol, self.size, bid, time_in_force="gtc")
        if held > 0:  # no short selling here: offer only what is held
            self.api.sell(self.symbol, min(self.size, held), ask, time_in_force="gtc")
        print(f"{self.symbol}: fair {self.fair}  bid {bid}  ask {ask}  holding {held}", flush=True)

    async def run(self) -> None:
        api = self.api
        stream = Stream(api.ws_url, symbols=[self.symbol], channels=("quotes",),
                        key_id=api.key_id, secret_key=api.secret_key, retry_first_connect=True)  # fmt: skip
        async for event in stream.events():
            kind = event["type"]
            if kind == "quote" and event["price"]:
                if abs(Decimal(event["price"]) - self.fair) < self.move:
                    continue
                self.fair = Decimal(event["price"])
            elif kind == "orders" and not any(item["fills"] for item in event["events"]):
                continue  # only a fill changes the inventory, and so the lean
            elif kind not in ("connected", "orders"):
                continue
            await asyncio.to_thread(self.requote)


async def main(args) -> None:
    api = Client.from_config()
    bot = MarketMaker(api, args.symbol.upper(), args.spread, args.size, args.move)
    try:
        async with asyncio.timeout(args.seconds):
            await bot.run()
    except TimeoutError:
        pass  # --seconds is up
    finally:
        api.cancel_all()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("symbol")
    parser.add_argument("--spread", type=Decimal, default=Decimal("0.20"))
    parser.add_argument("--size", type=Decimal, default=Decimal("10"))
    parser.add_argument("--move", type=int, default=5, help="requote after this many ticks")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long")
    try:
        asyncio.run(main(parser.parse_args()))
    except ClientError as exc:
        sys.exit(f"market_maker: {exc.message}")
    except KeyboardInterrupt:
        sys.exit(130)
