"""alpaca-trade-api, unchanged, against this server: REST, the trading stream and the data
stream, through one base URL given the SDK's own way (its `APCA_API_*` variables).

    COMPAT_HOST=… COMPAT_KEY=… COMPAT_SECRET=… COMPAT_KEY2=… COMPAT_SECRET2=… \
        python tools/compat/alpaca_trade_api_calls.py http://127.0.0.1:8200/api

Runs in its own virtualenv (requirements-compat.txt); run by tools/alpaca_compat.sh.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Calls, credentials, reference_price, wait_for

SYMBOL = "MSFT"


def main(base: str) -> int:
    host, (key, secret), (key2, secret2) = credentials()
    # What the README tells a user to set: the SDK reads them (the data URL at import time).
    os.environ["APCA_API_BASE_URL"] = base
    os.environ["APCA_API_DATA_URL"] = base
    os.environ["APCA_API_STREAM_URL"] = base
    import alpaca_trade_api as tradeapi
    from alpaca_trade_api.rest import TimeFrame

    calls = Calls("alpaca-trade-api", base)
    api = tradeapi.REST(key, secret, api_version="v2")
    seller = tradeapi.REST(key2, secret2, api_version="v2")
    ref = reference_price(host, key, secret, SYMBOL)
    low = round(ref * 0.92, 2)

    updates: list = []
    prints: list = []
    stream = tradeapi.Stream(key, secret, data_feed="iex")

    async def on_update(update):
        updates.append(update)

    async def on_trade(trade):
        prints.append(trade)

    stream.subscribe_trade_updates(on_update)
    stream.subscribe_trades(on_trade, SYMBOL)
    threading.Thread(target=stream.run, daemon=True).start()
    wait_for(lambda: False, 2.0)  # both sockets connect, authenticate and subscribe

    calls.call("get_account", api.get_account, lambda a: a.status == "ACTIVE")
    calls.call("get_account_configurations", api.get_account_configurations)
    calls.call(
        "update_account_configurations",
        lambda: api.update_account_configurations(no_shorting=True),
    )
    calls.call("get_clock", api.get_clock, lambda c: c.next_open is not None)
    calls.call(
        "get_calendar",
        lambda: api.get_calendar("2026-01-05", "2026-01-09"),
        lambda days: len(days) == 5,
    )
    calls.call(
        "list_assets",
        lambda: api.list_assets(status="active"),
        lambda assets: SYMBOL in {a.symbol for a in assets},
    )
    calls.call("get_asset", lambda: api.get_asset(SYMBOL), lambda a: a.exchange == "NASDAQ")

    ask = calls.call(
        "submit_order(limit sell)",
        lambda: seller.submit_order(SYMBOL, 2, "sell", "limit", "gtc", limit_price=round(ref, 2)),
    )
    calls.call(
        "submit_order(market buy)",
        lambda: api.submit_order(SYMBOL, 1, "buy", "market", "day"),
        lambda o: o.status == "filled",
    )
    cid = f"compat-{uuid.uuid4().hex[:12]}"
    bid = calls.call(
        "submit_order(limit buy, gtc)",
        lambda: api.submit_order(
            SYMBOL, 1, "buy", "limit", "gtc", limit_price=low, client_order_id=cid
        ),
        lambda o: o.status == "new",
    )
    if bid is not None:
        calls.call("get_order", lambda: api.get_order(bid.id))
        calls.call("get_order_by_client_order_id", lambda: api.get_order_by_client_order_id(cid))
        new = calls.call(
            "replace_order",
            lambda: api.replace_order(bid.id, qty="2", limit_price=str(round(low + 0.01, 2))),
            lambda o: o.qty == "2",
        )
        if new is not None:
            calls.call("cancel_order", lambda: api.cancel_order(new.id))
    calls.call(
        "submit_order(ioc, unfilled)",
        lambda: api.submit_order(SYMBOL, 1, "buy", "limit", "ioc", limit_price=low),
        lambda o: o.status == "canceled",
    )
    calls.call(
        "submit_order(fok, unfillable)",
        lambda: api.submit_order(SYMBOL, 1, "buy", "limit", "fok", limit_price=low),
        lambda o: o.status == "canceled",
    )
    calls.call(
        "submit_order(notional)",
        lambda: api.submit_order(SYMBOL, side="buy", type="market", notional=round(ref * 1.5, 2)),
    )
    calls.call("list_orders", lambda: api.list_orders(status="all", limit=50), bool)
    calls.call("list_positions", api.list_positions, bool)
    calls.call("get_position", lambda: api.get_position(SYMBOL))
    calls.call("close_position(qty=1)", lambda: api.close_position(SYMBOL, qty=1))
    calls.call("get_portfolio_history", lambda: api.get_portfolio_history(period="1W"))
    calls.call("get_activities", lambda: api.get_activities())
    calls.call("get_activities(FILL)", lambda: api.get_activities(activity_types="FILL"), bool)

    name = f"compat-{uuid.uuid4().hex[:8]}"
    watchlist = calls.call("create_watchlist", lambda: api.create_watchlist(name, [SYMBOL]))
    calls.call("get_watchlists", api.get_watchlists, bool)
    if watchlist is not None:
        wid = watchlist.id
        calls.call("get_watchlist", lambda: api.get_watchlist(wid))
        calls.call(
            "get_watchlist_by_name",
            lambda: api.get_watchlist_by_name(name),
            lambda w: w.id == wid,
        )
        calls.call("add_to_watchlist", lambda: api.add_to_watchlist(wid, "AAPL"))
        calls.call("delete_from_watchlist", lambda: api.delete_from_watchlist(wid, "AAPL"))
        calls.call("update_watchlist", lambda: api.update_watchlist(wid, name=name + "-2"))
        calls.call("delete_watchlist", lambda: api.delete_watchlist(wid))
    if ask is not None:
        calls.call("cancel_all_orders", seller.cancel_all_orders)

    start = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    calls.call("get_bars", lambda: api.get_bars(SYMBOL, TimeFrame.Hour, start=start))
    calls.call("get_trades", lambda: api.get_trades(SYMBOL, start=start), bool)
    calls.call("get_latest_trade", lambda: api.get_latest_trade(SYMBOL))
    calls.call("get_latest_trades", lambda: api.get_latest_trades([SYMBOL, "AAPL"]), bool)
    calls.call("get_latest_quote", lambda: api.get_latest_quote(SYMBOL))
    calls.call("get_latest_quotes", lambda: api.get_latest_quotes([SYMBOL, "AAPL"]), bool)
    calls.call("get_latest_bar", lambda: api.get_latest_bar(SYMBOL))
    calls.call("get_latest_bars", lambda: api.get_latest_bars([SYMBOL, "AAPL"]), bool)
    calls.call("get_snapshot", lambda: api.get_snapshot(SYMBOL))
    calls.call("get_snapshots", lambda: api.get_snapshots([SYMBOL, "AAPL"]), bool)

    calls.refuse(
        "submit_order(stop)",
        lambda: api.submit_order(SYMBOL, 1, "sell", "stop", "gtc", stop_price=low),
    )
    calls.refuse(
        "submit_order(bracket)",
        lambda: api.submit_order(
            SYMBOL,
            1,
            "buy",
            "market",
            "day",
            order_class="bracket",
            take_profit={"limit_price": round(ref * 1.05, 2)},
            stop_loss={"stop_price": low},
        ),
    )
    calls.refuse("get_quotes (history)", lambda: api.get_quotes(SYMBOL, start=start))

    calls.call(
        "Stream trade_updates (a fill)",
        lambda: wait_for(lambda: any(u.event == "fill" for u in updates), 10),
        bool,
    )
    calls.call("Stream trades", lambda: wait_for(lambda: len(prints) > 0, 10), bool)
    with contextlib.suppress(Exception):  # a stream that never ran has nothing to stop
        stream.stop()
    return calls.summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
