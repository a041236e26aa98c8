"""alpaca-py's market-data clients on a live daphne, changed only by `url_override`."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from alpaca.data.enums import DataFeed
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.live import StockDataStream
from alpaca.data.models import Bar, Quote, Snapshot, Trade
from alpaca.data.requests import (
    StockBarsRequest,
    StockLatestBarRequest,
    StockLatestQuoteRequest,
    StockLatestTradeRequest,
    StockSnapshotRequest,
    StockTradesRequest,
)
from alpaca.data.timeframe import TimeFrame, TimeFrameUnit
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import LimitOrderRequest

from trading.tests.factories import give_shares, make_stock

pytestmark = pytest.mark.integration


def wait_until(condition, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def limit(side: OrderSide, qty: int, price: float) -> LimitOrderRequest:
    return LimitOrderRequest(
        symbol="ACME", qty=qty, side=side, time_in_force=TimeInForce.GTC, limit_price=price
    )


def test_the_historical_data_client_reads_our_bars_trades_quotes_and_snapshots(
    daphne, trading_client, api_key, make_user
):
    stock = make_stock("ACME", "100.00")
    alice, bob = make_user("alice"), make_user("bob")
    give_shares(bob, stock, 1_000)
    buyer, seller = trading_client(alice), trading_client(bob)
    seller.submit_order(limit(OrderSide.SELL, 10, 100))
    buyer.submit_order(limit(OrderSide.BUY, 10, 100))
    seller.submit_order(limit(OrderSide.SELL, 30, 102))
    buyer.submit_order(limit(OrderSide.BUY, 20, 102))
    buyer.submit_order(limit(OrderSide.BUY, 5, 99.5))

    key_id, secret = api_key(alice)
    data = StockHistoricalDataClient(key_id, secret, url_override=f"{daphne.http}/api")
    start = datetime.now(UTC) - timedelta(minutes=5)

    bars = data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols=["ACME"], timeframe=TimeFrame.Minute, start=start)
    )["ACME"]
    assert all(isinstance(b, Bar) for b in bars) and 1 <= len(bars) <= 2
    assert sum(b.volume for b in bars) == 30 and sum(b.trade_count for b in bars) == 2
    assert min(b.low for b in bars) == 100.0 and max(b.high for b in bars) == 102.0
    hourly = data.get_stock_bars(
        StockBarsRequest(
            symbol_or_symbols="ACME",
            timeframe=TimeFrame(4, TimeFrameUnit.Hour),
            start=start - timedelta(hours=4),  # the bar holding the trades starts before
        )
    )
    assert [b.volume for b in hourly["ACME"]] in ([30], [10, 20])  # unless 4 hours turn over
    frame = data.get_stock_bars(
        # A daily bar starts at midnight in New York: bars start at or after `start`.
        StockBarsRequest(
            symbol_or_symbols="ACME", timeframe=TimeFrame.Day, start=start - timedelta(days=1)
        )
    ).df
    assert list(frame["volume"]) == [30.0]
    assert frame["vwap"].iloc[0] == pytest.approx((10 * 100 + 20 * 102) / 30)

    trade = data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="ACME"))["ACME"]
    assert isinstance(trade, Trade) and (trade.price, trade.size, trade.id) == (102.0, 20, 2)
    trades = data.get_stock_trades(
        StockTradesRequest(symbol_or_symbols="ACME", start=start, limit=1)
    )["ACME"]
    assert [t.price for t in trades] == [100.0]  # the SDK's limit, honoured
    quote = data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=["ACME"]))["ACME"]
    assert isinstance(quote, Quote)
    assert (quote.bid_price, quote.bid_size, quote.ask_price, quote.ask_size) == (
        99.5,
        5,
        102.0,
        10,
    )
    latest_bar = data.get_stock_latest_bar(StockLatestBarRequest(symbol_or_symbols="ACME"))
    assert latest_bar["ACME"].close == 102.0
    snapshot = data.get_stock_snapshot(StockSnapshotRequest(symbol_or_symbols=["ACME"]))["ACME"]
    assert isinstance(snapshot, Snapshot)
    assert snapshot.latest_trade.price == 102.0 and snapshot.latest_quote.ask_price == 102.0
    assert snapshot.daily_bar.volume == 30 and snapshot.minute_bar.close == 102.0


def test_the_data_stream_receives_a_trade_made_on_our_book_and_its_quotes(
    daphne, trading_client, api_key, make_user
):
    stock = make_stock("ACME", "100.00")
    alice, bob = make_user("alice"), make_user("bob")
    give_shares(bob, stock, 100)
    key_id, secret = api_key(alice)
    stream = StockDataStream(
        key_id, secret, feed=DataFeed.IEX, url_override=daphne.ws.replace("/ws/", "/v2/iex")
    )
    trades, quotes = [], []

    async def on_trade(trade):
        trades.append(trade)

    async def on_quote(quote):
        quotes.append(quote)

    stream.subscribe_trades(on_trade, "ACME")
    stream.subscribe_quotes(on_quote, "ACME")
    thread = threading.Thread(target=stream.run, daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: stream._running), daphne.output()
        time.sleep(1)  # the subscription is answered after the relay joined the group
        buyer, seller = trading_client(alice), trading_client(bob)
        seller.submit_order(limit(OrderSide.SELL, 10, 101))
        assert wait_until(lambda: len(quotes) >= 1), (quotes, daphne.output())
        buyer.submit_order(limit(OrderSide.BUY, 4, 101))
        assert wait_until(lambda: trades and len(quotes) >= 2), (trades, quotes, daphne.output())
    finally:
        stream.stop()
        thread.join(timeout=15)
    [trade] = trades
    assert isinstance(trade, Trade) and trade.symbol == "ACME"
    assert (trade.price, trade.size, trade.exchange) == (101.0, 4, "D")
    assert trade.timestamp.tzinfo is not None
    assert all(isinstance(q, Quote) for q in quotes)
    assert [(q.bid_size, q.ask_price, q.ask_size) for q in quotes] == [
        (0, 101.0, 10),
        (0, 101.0, 6),
    ]
