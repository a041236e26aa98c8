"""The momentum bot written against Alpaca's SDK: it trades here by changing only the URL.

    python examples/momentum_alpaca.py AAPL --url http://127.0.0.1:8000 --fast 5 --slow 20

The same rule as `momentum.py` (its `signal`), on alpaca-py's `StockDataStream` (trades on
this book, from `ws://HOST/v2/iex`) and `TradingClient` (market orders on `/api/v2`).
Needs `pip install alpaca-py` (the test virtualenv has it). Credentials: APCA_API_KEY_ID and
APCA_API_SECRET_KEY, as for Alpaca.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import deque
from decimal import Decimal
from pathlib import Path

from alpaca.common.exceptions import APIError
from alpaca.data.live import StockDataStream
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.models import Order
from alpaca.trading.requests import MarketOrderRequest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from momentum import signal


def main(args) -> None:
    key, secret = os.environ["APCA_API_KEY_ID"], os.environ["APCA_API_SECRET_KEY"]
    base = args.url.rstrip("/")
    trading = TradingClient(key, secret, paper=True, url_override=f"{base}/api")
    stream = StockDataStream(key, secret, url_override=base.replace("http", "ws", 1) + "/v2/iex")
    symbol = args.symbol.upper()
    prices: deque[Decimal] = deque(maxlen=args.slow)
    bought = Decimal(0)  # what this bot holds: filled buys less filled sells

    async def on_trade(trade) -> None:
        nonlocal bought
        prices.append(Decimal(str(trade.price)))
        side = signal(list(prices), args.fast, args.slow, args.threshold)
        if side == "buy" and bought == 0:
            qty, order_side = args.size, OrderSide.BUY
        elif side == "sell" and bought > 0:
            qty, order_side = bought, OrderSide.SELL
        else:
            return
        request = MarketOrderRequest(
            symbol=symbol, qty=float(qty), side=order_side, time_in_force=TimeInForce.DAY
        )
        try:
            order = trading.submit_order(request)
        except APIError as exc:
            print(f"{symbol}: {side} refused: {exc}", flush=True)
            return
        assert isinstance(order, Order)  # raw_data is off: the SDK answers its own model
        filled = Decimal(str(order.filled_qty or 0))
        bought += filled if order_side == OrderSide.BUY else -filled
        print(
            f"{symbol}: {side} {qty}: {order.status.value} @ {order.filled_avg_price}", flush=True
        )
        prices.clear()  # start the averages afresh after a trade of our own

    stream.subscribe_trades(on_trade, symbol)
    stream.run()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("symbol")
    parser.add_argument("--url", default=os.environ.get("BROKERAGE_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--fast", type=int, default=5)
    parser.add_argument("--slow", type=int, default=20)
    parser.add_argument("--threshold", type=Decimal, default=Decimal("0.001"))
    parser.add_argument("--size", type=Decimal, default=Decimal("10"))
    try:
        main(parser.parse_args())
    except KeyboardInterrupt:
        sys.exit(130)
