"""alpaca-py, unchanged, against this server: every call a bot makes, through one base URL.

    COMPAT_HOST=http://127.0.0.1:8200 COMPAT_KEY=… COMPAT_SECRET=… COMPAT_KEY2=… \
        COMPAT_SECRET2=… python tools/compat/alpaca_py_calls.py http://127.0.0.1:8200/api/

The argument is what a user gives `url_override` (the SDK appends `/v2`); the streams are
given `ws://HOST/stream` and `ws://HOST/v2/iex` (under `/api` too when the base is). Prints
each call and a count; exits 1 if any supported call failed. Run by tools/alpaca_compat.sh.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.live import StockDataStream
from alpaca.data.requests import (
    StockBarsRequest,
    StockLatestBarRequest,
    StockLatestQuoteRequest,
    StockLatestTradeRequest,
    StockSnapshotRequest,
    StockTradesRequest,
)
from alpaca.data.timeframe import TimeFrame
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import (
    AssetClass,
    AssetExchange,
    OrderClass,
    OrderSide,
    QueryOrderStatus,
    TimeInForce,
)
from alpaca.trading.requests import (
    ClosePositionRequest,
    CreateWatchlistRequest,
    GetAssetsRequest,
    GetCalendarRequest,
    GetOrdersRequest,
    GetPortfolioHistoryRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopLossRequest,
    StopOrderRequest,
    TakeProfitRequest,
    UpdateWatchlistRequest,
)
from alpaca.trading.stream import TradingStream
from harness import Calls, credentials, reference_price, wait_for

SYMBOL = "AAPL"


def main(base: str) -> int:
    host, (key, secret), (key2, secret2) = credentials()
    ws_base = host.replace("http", "ws", 1) + ("/api" if "/api" in base else "")
    calls = Calls("alpaca-py", base)
    trading = TradingClient(key, secret, paper=True, url_override=base)
    seller = TradingClient(key2, secret2, paper=True, url_override=base)
    data = StockHistoricalDataClient(key, secret, url_override=base)
    ref = reference_price(host, key, secret, SYMBOL)
    low = round(ref * 0.92, 2)

    # The streams first, so that the fills below reach them.
    updates: list = []
    prints: list = []
    trade_stream = TradingStream(key, secret, paper=True, url_override=f"{ws_base}/stream")
    data_stream = StockDataStream(key, secret, url_override=f"{ws_base}/v2/iex")

    async def on_update(update):
        updates.append(update)

    async def on_trade(trade):
        prints.append(trade)

    trade_stream.subscribe_trade_updates(on_update)
    data_stream.subscribe_trades(on_trade, SYMBOL)
    for stream in (trade_stream, data_stream):
        threading.Thread(target=stream.run, daemon=True).start()
    wait_for(lambda: False, 2.0)  # both sockets connect, authenticate and subscribe

    calls.call("get_account", trading.get_account, lambda a: a.status == "ACTIVE")
    calls.call("get_account_configurations", trading.get_account_configurations)
    calls.call(
        "set_account_configurations",
        lambda: trading.set_account_configurations(trading.get_account_configurations()),
    )
    calls.call("get_clock", trading.get_clock, lambda c: c.next_open is not None)
    calls.call(
        "get_calendar",
        lambda: trading.get_calendar(GetCalendarRequest(start="2026-01-05", end="2026-01-09")),
        lambda days: len(days) == 5,
    )
    calls.call("get_all_assets", trading.get_all_assets, lambda assets: len(assets) > 0)
    calls.call(
        "get_all_assets(exchange=NASDAQ)",
        lambda: trading.get_all_assets(
            GetAssetsRequest(asset_class=AssetClass.US_EQUITY, exchange=AssetExchange.NASDAQ)
        ),
        lambda assets: SYMBOL in {a.symbol for a in assets},
    )
    calls.call("get_asset", lambda: trading.get_asset(SYMBOL), lambda a: a.exchange == "NASDAQ")

    ask = calls.call(
        "submit_order(limit sell)",
        lambda: seller.submit_order(
            LimitOrderRequest(
                symbol=SYMBOL,
                qty=2,
                side=OrderSide.SELL,
                time_in_force=TimeInForce.GTC,
                limit_price=round(ref, 2),
            )
        ),
    )
    calls.call(
        "submit_order(market buy)",
        lambda: trading.submit_order(
            MarketOrderRequest(
                symbol=SYMBOL, qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY
            )
        ),
        lambda o: o.status == "filled",
    )
    cid = f"compat-{uuid.uuid4().hex[:12]}"
    bid = calls.call(
        "submit_order(limit buy, gtc)",
        lambda: trading.submit_order(
            LimitOrderRequest(
                symbol=SYMBOL,
                qty=1,
                side=OrderSide.BUY,
                time_in_force=TimeInForce.GTC,
                limit_price=low,
                client_order_id=cid,
            )
        ),
        lambda o: o.status == "new",
    )
    if bid is not None:
        calls.call("get_order_by_id", lambda: trading.get_order_by_id(bid.id))
        calls.call("get_order_by_client_id", lambda: trading.get_order_by_client_id(cid))
        new = calls.call(
            "replace_order_by_id",
            lambda: trading.replace_order_by_id(
                bid.id, ReplaceOrderRequest(qty=2, limit_price=round(low + 0.01, 2))
            ),
            lambda o: o.qty == "2",
        )
        if new is not None:
            calls.call("cancel_order_by_id", lambda: trading.cancel_order_by_id(new.id))
    calls.call(
        "submit_order(ioc, unfilled)",
        lambda: trading.submit_order(
            LimitOrderRequest(
                symbol=SYMBOL,
                qty=1,
                side=OrderSide.BUY,
                time_in_force=TimeInForce.IOC,
                limit_price=low,
            )
        ),
        lambda o: o.status == "canceled",
    )
    calls.call(
        "submit_order(fok, unfillable)",
        lambda: trading.submit_order(
            LimitOrderRequest(
                symbol=SYMBOL,
                qty=1,
                side=OrderSide.BUY,
                time_in_force=TimeInForce.FOK,
                limit_price=low,
            )
        ),
        lambda o: o.status == "canceled",
    )
    calls.call(
        "submit_order(notional)",
        lambda: trading.submit_order(
            MarketOrderRequest(
                symbol=SYMBOL,
                notional=round(ref * 1.5, 2),
                side=OrderSide.BUY,
                time_in_force=TimeInForce.DAY,
            )
        ),
    )
    calls.call(
        "get_orders",
        lambda: trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=50)),
        lambda orders: len(orders) > 0,
    )
    calls.call("get_all_positions", trading.get_all_positions, lambda p: len(p) > 0)
    calls.call("get_open_position", lambda: trading.get_open_position(SYMBOL))
    calls.call(
        "close_position(qty=1)",
        lambda: trading.close_position(SYMBOL, ClosePositionRequest(qty="1")),
    )
    calls.call(
        "get_portfolio_history",
        lambda: trading.get_portfolio_history(GetPortfolioHistoryRequest(period="1W")),
    )
    name = f"compat-{uuid.uuid4().hex[:8]}"
    watchlist = calls.call(
        "create_watchlist",
        lambda: trading.create_watchlist(CreateWatchlistRequest(name=name, symbols=[SYMBOL])),
    )
    calls.call("get_watchlists", trading.get_watchlists, lambda lists: len(lists) > 0)
    if watchlist is not None:
        wid = watchlist.id
        calls.call("get_watchlist_by_id", lambda: trading.get_watchlist_by_id(wid))
        calls.call(
            "add_asset_to_watchlist_by_id",
            lambda: trading.add_asset_to_watchlist_by_id(wid, "MSFT"),
        )
        calls.call(
            "remove_asset_from_watchlist_by_id",
            lambda: trading.remove_asset_from_watchlist_by_id(wid, "MSFT"),
        )
        calls.call(
            "update_watchlist_by_id",
            lambda: trading.update_watchlist_by_id(wid, UpdateWatchlistRequest(name=name + "-2")),
        )
        calls.call("delete_watchlist_by_id", lambda: trading.delete_watchlist_by_id(wid))
    if ask is not None:
        calls.call("cancel_orders", seller.cancel_orders)

    start = datetime.now(UTC) - timedelta(days=3)
    calls.call(
        "get_stock_bars",
        lambda: data.get_stock_bars(
            StockBarsRequest(symbol_or_symbols=[SYMBOL], timeframe=TimeFrame.Hour, start=start)
        ),
    )
    calls.call(
        "get_stock_trades",
        lambda: data.get_stock_trades(StockTradesRequest(symbol_or_symbols=SYMBOL, start=start)),
    )
    calls.call(
        "get_stock_latest_trade",
        lambda: data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols=SYMBOL)),
        lambda t: SYMBOL in t,
    )
    calls.call(
        "get_stock_latest_quote",
        lambda: data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=SYMBOL)),
        lambda q: SYMBOL in q,
    )
    calls.call(
        "get_stock_latest_bar",
        lambda: data.get_stock_latest_bar(StockLatestBarRequest(symbol_or_symbols=SYMBOL)),
    )
    calls.call(
        "get_stock_snapshot",
        lambda: data.get_stock_snapshot(StockSnapshotRequest(symbol_or_symbols=SYMBOL)),
        lambda s: SYMBOL in s,
    )

    # What this exchange does not do is refused, nothing placed.
    calls.refuse(
        "submit_order(stop)",
        lambda: trading.submit_order(
            StopOrderRequest(
                symbol=SYMBOL,
                qty=1,
                side=OrderSide.SELL,
                time_in_force=TimeInForce.GTC,
                stop_price=low,
            )
        ),
    )
    calls.refuse(
        "submit_order(bracket)",
        lambda: trading.submit_order(
            MarketOrderRequest(
                symbol=SYMBOL,
                qty=1,
                side=OrderSide.BUY,
                time_in_force=TimeInForce.DAY,
                order_class=OrderClass.BRACKET,
                take_profit=TakeProfitRequest(limit_price=round(ref * 1.05, 2)),
                stop_loss=StopLossRequest(stop_price=low),
            )
        ),
    )

    calls.call(
        "TradingStream trade_updates (a fill)",
        lambda: wait_for(lambda: any(u.event == "fill" for u in updates), 10),
        bool,
    )
    calls.call("StockDataStream trades", lambda: wait_for(lambda: len(prints) > 0, 10), bool)
    for stream in (trade_stream, data_stream):
        with contextlib.suppress(Exception):  # a stream that never ran has nothing to stop
            stream.stop()
    return calls.summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
