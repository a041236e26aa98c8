"""The official alpaca-py SDK trading on a live daphne, changed only by `url_override`."""

from __future__ import annotations

from datetime import date

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.enums import OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    ClosePositionRequest,
    GetAssetsRequest,
    GetCalendarRequest,
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopOrderRequest,
)

from trading.tests.factories import give_shares, make_stock

pytestmark = pytest.mark.integration


def test_a_bot_trades_with_the_sdk_every_call_it_uses(daphne, trading_client, make_user):
    make_stock("ACME", "100.00")
    make_stock("BETA", "50.00")
    alice, bob = make_user("alice"), make_user("bob")
    from marketdata.models import Stock

    give_shares(bob, Stock.objects.get(symbol="ACME"), 1_000)
    buyer, seller = trading_client(alice), trading_client(bob)

    account = buyer.get_account()
    assert account.status == "ACTIVE" and account.cash == "100000"

    # Bob rests asks; Alice buys by qty (market, ioc) and by notional (market, day).
    for tif, price in ((TimeInForce.GTC, 100), (TimeInForce.DAY, 101)):
        ask = seller.submit_order(
            LimitOrderRequest(
                symbol="ACME", qty=50, side=OrderSide.SELL, time_in_force=tif, limit_price=price
            )
        )
        assert ask.status == OrderStatus.NEW and ask.time_in_force == tif
    bought = buyer.submit_order(
        MarketOrderRequest(symbol="ACME", qty=10, side=OrderSide.BUY, time_in_force=TimeInForce.IOC)
    )
    assert bought.status == OrderStatus.FILLED and bought.filled_avg_price == "100"
    notional = buyer.submit_order(
        MarketOrderRequest(
            symbol="ACME", notional=1000, side=OrderSide.BUY, time_in_force=TimeInForce.DAY
        )
    )
    assert notional.filled_qty == "10"
    fok = buyer.submit_order(
        LimitOrderRequest(
            symbol="ACME",
            qty=5,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.FOK,
            limit_price=100,
            client_order_id="fok-1",
        )
    )
    assert fok.status == OrderStatus.FILLED
    assert buyer.get_order_by_client_id("fok-1").id == fok.id

    # A resting bid, replaced, then read back by id and in the open list.
    bid = buyer.submit_order(
        LimitOrderRequest(
            symbol="ACME",
            qty=5,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.GTC,
            limit_price=95,
        )
    )
    replaced = buyer.replace_order_by_id(bid.id, ReplaceOrderRequest(qty=7, limit_price=96))
    assert replaced.replaces == bid.id and replaced.qty == "7"
    assert buyer.get_order_by_id(bid.id).status == OrderStatus.REPLACED
    assert buyer.get_order_by_id(bid.id).replaced_by == replaced.id
    open_orders = buyer.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN))
    assert [o.id for o in open_orders] == [replaced.id]
    closed = buyer.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED, symbols=["ACME"]))
    assert len(closed) == 4

    # What this exchange cannot do yet is refused in Alpaca's shape.
    with pytest.raises(APIError) as refused:
        buyer.submit_order(
            StopOrderRequest(
                symbol="ACME",
                qty=1,
                side=OrderSide.BUY,
                time_in_force=TimeInForce.DAY,
                stop_price=110,
            )
        )
    assert refused.value.status_code == 422 and refused.value.code == 42210000

    # Cancel one, cancel all (207).
    buyer.cancel_order_by_id(replaced.id)
    assert buyer.get_order_by_id(replaced.id).status == OrderStatus.CANCELED
    buyer.submit_order(
        LimitOrderRequest(
            symbol="ACME", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, limit_price=90
        )
    )
    canceled = buyer.cancel_orders()
    assert [c.status for c in canceled] == [200]

    # Positions: all, one by symbol and by asset id, close part, close all.
    positions = buyer.get_all_positions()
    assert [(p.symbol, p.qty) for p in positions] == [("ACME", "25")]
    asset = buyer.get_asset("ACME")
    assert buyer.get_open_position(asset.id).qty == "25"
    seller.submit_order(
        LimitOrderRequest(
            symbol="ACME",
            qty=30,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.GTC,
            limit_price=99,
        )
    )
    half = buyer.close_position("ACME", ClosePositionRequest(percentage="40"))
    assert half.side == OrderSide.SELL and half.filled_qty == "10"
    closes = buyer.close_all_positions(cancel_orders=True)
    assert [(c.symbol, c.status) for c in closes] == [("ACME", 200)]
    assert buyer.get_all_positions() == []
    with pytest.raises(APIError) as missing:
        buyer.close_position("ACME")
    assert missing.value.status_code == 404

    # Assets, clock, calendar.
    assets = buyer.get_all_assets(GetAssetsRequest(status="active", asset_class="us_equity"))
    assert [a.symbol for a in assets] == ["ACME", "BETA"]
    assert buyer.get_asset(asset.id).symbol == "ACME"
    clock = buyer.get_clock()
    assert clock.next_open.tzinfo is not None
    days = buyer.get_calendar(GetCalendarRequest(start=date(2025, 12, 22), end=date(2025, 12, 26)))
    assert [d.date for d in days] == [date(2025, 12, d) for d in (22, 23, 24, 26)]
    assert days[2].close.hour == 13  # Christmas Eve closes early

    account = buyer.get_account()
    assert account.equity == account.cash and float(account.cash) < 100_000


def test_configurations_portfolio_history_activities_and_watchlists_with_the_sdk(
    daphne, trading_client, api_key, make_user
):
    import requests
    from alpaca.trading.models import AccountConfiguration, NonTradeActivity, TradeActivity
    from alpaca.trading.requests import (
        CreateWatchlistRequest,
        GetPortfolioHistoryRequest,
        UpdateWatchlistRequest,
    )

    acme = make_stock("ACME", "100.00")
    make_stock("BETA", "50.00")
    alice, bob = make_user("alice"), make_user("bob")
    give_shares(bob, acme, 100)
    buyer, seller = trading_client(alice), trading_client(bob)
    seller.submit_order(
        LimitOrderRequest(
            symbol="ACME",
            qty=10,
            side=OrderSide.SELL,
            time_in_force=TimeInForce.GTC,
            limit_price=100,
        )
    )
    buyer.submit_order(
        MarketOrderRequest(symbol="ACME", qty=10, side=OrderSide.BUY, time_in_force=TimeInForce.DAY)
    )
    # Alice sells it all back: the position goes flat, the fills stay in her activities.
    buyer_bid = seller.submit_order(
        LimitOrderRequest(
            symbol="ACME",
            qty=10,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.GTC,
            limit_price=101,
        )
    )
    buyer.close_position("ACME")
    assert buyer.get_all_positions() == []

    config = buyer.get_account_configurations()
    assert config.no_shorting and config.suspend_trade is False
    config.suspend_trade = True
    assert buyer.set_account_configurations(config).suspend_trade is True
    assert buyer.get_account().trade_suspended_by_user is True
    with pytest.raises(APIError) as suspended:
        buyer.submit_order(
            MarketOrderRequest(
                symbol="ACME", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY
            )
        )
    assert suspended.value.status_code == 403
    config.suspend_trade = False
    assert isinstance(buyer.set_account_configurations(config), AccountConfiguration)

    history = buyer.get_portfolio_history(GetPortfolioHistoryRequest(period="1D", timeframe="1H"))
    assert len(history.timestamp) == len(history.equity) >= 24
    assert history.equity[-1] == pytest.approx(100_010.0)  # bought at 100, sold at 101

    key_id, secret = api_key(alice)
    raw = requests.get(
        f"{daphne.http}/api/v2/account/activities",
        headers={"APCA-API-KEY-ID": key_id, "APCA-API-SECRET-KEY": secret},
        timeout=10,
    ).json()
    fills = [TradeActivity(**a) for a in raw if a["activity_type"] == "FILL"]
    cash = [NonTradeActivity(**a) for a in raw if a["activity_type"] != "FILL"]
    assert [(f.side, f.qty, f.price) for f in fills] == [("sell", 10, 101), ("buy", 10, 100)]
    assert fills[0].order_id != buyer_bid.id and [c.activity_type for c in cash] == ["CSD"]

    watchlist = buyer.create_watchlist(CreateWatchlistRequest(name="tech", symbols=["ACME"]))
    assert [a.symbol for a in watchlist.assets] == ["ACME"]
    buyer.add_asset_to_watchlist_by_id(watchlist.id, "BETA")
    renamed = buyer.update_watchlist_by_id(watchlist.id, UpdateWatchlistRequest(name="mine"))
    assert renamed.name == "mine" and len(renamed.assets) == 2
    assert [
        a.symbol for a in buyer.remove_asset_from_watchlist_by_id(watchlist.id, "ACME").assets
    ] == ["BETA"]
    assert [w.id for w in buyer.get_watchlists()] == [watchlist.id]
    assert buyer.get_watchlist_by_id(watchlist.id).name == "mine"
    buyer.delete_watchlist_by_id(watchlist.id)
    assert buyer.get_watchlists() == []
