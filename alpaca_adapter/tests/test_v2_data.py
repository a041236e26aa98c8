"""`/api/v2/stocks/...` in-process: Alpaca's data shapes, parsed by the SDK's own models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from alpaca.data.historical.utils import parse_obj_as_symbol_dict
from alpaca.data.models import Bar, BarSet, Quote, Snapshot, Trade, TradeSet

from marketdata.models import PriceBar
from trading.models import Trade as TradeRow
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 6, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York


@pytest.fixture
def acme(db):
    return make_stock("ACME", "100.00")


def trade(buyer, seller, stock, qty: int, price: str, at: datetime) -> None:
    """A trade on the book between two users, dated `at`."""
    place(seller, stock, "sell", qty, price)
    place(buyer, stock, "buy", qty, price)
    last = TradeRow.objects.filter(stock=stock).order_by("-seq").first()
    TradeRow.objects.filter(pk=last.pk).update(executed_at=at)


@pytest.fixture
def traded(alice, bob, acme):
    """ACME trades at 15:01 (two), 15:14 and 15:16; a reference bar at 15:31 nobody traded."""
    give_shares(bob, acme, 1_000)
    trade(alice, bob, acme, 10, "100.00", T0 + timedelta(minutes=1, seconds=5))
    trade(alice, bob, acme, 30, "102.00", T0 + timedelta(minutes=1, seconds=40))
    trade(alice, bob, acme, 20, "99.00", T0 + timedelta(minutes=14))
    trade(alice, bob, acme, 5, "101.50", T0 + timedelta(minutes=16))
    PriceBar.objects.create(
        stock=acme,
        start=T0 + timedelta(minutes=31),
        open=Decimal("101"),
        high=Decimal("103"),
        low=Decimal("100.5"),
        close=Decimal("102.25"),
        source="simulator",
    )
    return acme


def window(**extra) -> dict:
    return {"start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat(), **extra}


def test_minute_bars_are_our_trades_with_volume_weighted_prices(alice, key_client, traded):
    response = key_client(alice).get(
        "/api/v2/stocks/bars", window(symbols="ACME", timeframe="1Min")
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next_page_token"] is None
    bars = BarSet(body["bars"])["ACME"]
    assert [b.timestamp for b in bars] == [T0 + timedelta(minutes=m) for m in (1, 14, 16, 31)]
    first = bars[0]
    assert (first.open, first.high, first.low, first.close) == (100.0, 102.0, 100.0, 102.0)
    assert first.volume == 40 and first.trade_count == 2
    assert first.vwap == pytest.approx((10 * 100 + 30 * 102) / 40)
    reference = bars[-1]
    assert (reference.open, reference.close, reference.volume, reference.vwap) == (
        101.0,
        102.25,
        0,
        None,
    )
    assert body["bars"]["ACME"][0]["t"] == "2026-01-06T15:01:00Z"


def test_bars_fold_into_the_asked_timeframe(alice, key_client, traded):
    client = key_client(alice)
    response = client.get("/api/v2/stocks/ACME/bars", window(timeframe="15Min"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["symbol"] == "ACME"
    bars = [Bar("ACME", raw) for raw in body["bars"]]
    assert [b.timestamp for b in bars] == [
        T0,
        T0 + timedelta(minutes=15),
        T0 + timedelta(minutes=30),
    ]
    assert (bars[0].open, bars[0].high, bars[0].low, bars[0].close) == (100.0, 102.0, 99.0, 99.0)
    assert bars[0].volume == 60 and bars[0].trade_count == 3
    assert bars[1].volume == 5 and bars[1].vwap == 101.5

    day = client.get(
        "/api/v2/stocks/bars",
        {"symbols": "ACME", "timeframe": "1Day", "start": "2026-01-05", "end": "2026-01-07"},
    ).json()["bars"]["ACME"]
    assert len(day) == 1 and day[0]["t"] == "2026-01-06T05:00:00Z"  # midnight in New York
    assert (day[0]["o"], day[0]["h"], day[0]["l"], day[0]["c"], day[0]["v"]) == (
        100.0,
        102.0,
        99.0,
        101.5,
        65,
    )  # a day with trades is made of its trades


def test_bars_page_across_symbols_with_a_token(alice, bob, key_client, traded):
    beta = make_stock("BETA", "50.00")
    give_shares(bob, beta, 100)
    trade(alice, bob, beta, 1, "50.00", T0 + timedelta(minutes=2))
    client = key_client(alice)
    seen, token = [], None
    for _ in range(10):
        params = window(symbols="BETA,ACME,NOPE", timeframe="1Min", limit=3)
        if token:
            params["page_token"] = token
        body = client.get("/api/v2/stocks/bars", params).json()
        seen += [(s, b["t"][11:16]) for s, bars in body["bars"].items() for b in bars]
        token = body["next_page_token"]
        if token is None:
            break
    assert seen == [
        ("ACME", "15:01"),
        ("ACME", "15:14"),
        ("ACME", "15:16"),
        ("ACME", "15:31"),
        ("BETA", "15:02"),
    ]
    newest = client.get(
        "/api/v2/stocks/bars", window(symbols="ACME", timeframe="1Min", limit=2, sort="desc")
    ).json()
    assert [b["t"][11:16] for b in newest["bars"]["ACME"]] == ["15:31", "15:16"]
    rest = client.get(
        "/api/v2/stocks/bars",
        window(
            symbols="ACME",
            timeframe="1Min",
            limit=5,
            sort="desc",
            page_token=newest["next_page_token"],
        ),
    ).json()
    assert [b["t"][11:16] for b in rest["bars"]["ACME"]] == ["15:14", "15:01"]


def test_latest_trade_and_historical_trades_are_our_executions(alice, key_client, traded):
    client = key_client(alice)
    latest = client.get("/api/v2/stocks/trades/latest", {"symbols": "ACME,NOPE"}).json()
    trades = parse_obj_as_symbol_dict(Trade, latest["trades"])
    assert list(trades) == ["ACME"]
    assert trades["ACME"].price == 101.5 and trades["ACME"].size == 5
    assert trades["ACME"].exchange == "D" and trades["ACME"].id == 4
    one = client.get("/api/v2/stocks/ACME/trades/latest").json()
    assert one["symbol"] == "ACME" and one["trade"]["t"] == "2026-01-06T15:16:00Z"

    history = client.get("/api/v2/stocks/trades", window(symbols="ACME", limit=3)).json()
    assert [t.price for t in TradeSet(history["trades"])["ACME"]] == [100.0, 102.0, 99.0]
    more = client.get(
        "/api/v2/stocks/trades",
        window(symbols="ACME", limit=3, page_token=history["next_page_token"]),
    ).json()
    assert [t["p"] for t in more["trades"]["ACME"]] == [101.5]
    assert more["next_page_token"] is None


def test_the_latest_quote_is_the_top_of_our_book(alice, bob, key_client, acme):
    give_shares(bob, acme, 100)
    place(bob, acme, "sell", 7, "101.00")
    place(bob, acme, "sell", 3, "101.00")
    place(bob, acme, "sell", 9, "102.00")
    place(alice, acme, "buy", 4, "99.50")
    body = key_client(alice).get("/api/v2/stocks/quotes/latest", {"symbols": "ACME"}).json()
    quote = parse_obj_as_symbol_dict(Quote, body["quotes"])["ACME"]
    assert (quote.bid_price, quote.bid_size, quote.ask_price, quote.ask_size) == (
        99.5,
        4,
        101.0,
        10,
    )
    assert quote.timestamp.tzinfo is not None


def test_a_snapshot_carries_trade_quote_and_bars(alice, key_client, traded):
    client = key_client(alice)
    body = client.get("/api/v2/stocks/snapshots", {"symbols": "ACME"}).json()
    snapshot = parse_obj_as_symbol_dict(Snapshot, body)["ACME"]
    assert snapshot.latest_trade.price == 101.5
    assert snapshot.latest_quote.bid_price == 0 and snapshot.latest_quote.ask_size == 0
    assert snapshot.minute_bar.timestamp == T0 + timedelta(minutes=31)
    assert snapshot.daily_bar.volume == 65 and snapshot.previous_daily_bar is None
    one = client.get("/api/v2/stocks/ACME/snapshot").json()
    assert one["symbol"] == "ACME" and one["latestTrade"]["p"] == 101.5


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/api/v2/stocks/bars", {"symbols": "ACME", "timeframe": "7Day"}, 422, 40010001),
        (
            "/api/v2/stocks/bars",
            {"symbols": "ACME", "timeframe": "1Min", "limit": 0},
            422,
            40010001,
        ),
        ("/api/v2/stocks/bars", {"timeframe": "1Min"}, 422, 40010001),
        (
            "/api/v2/stocks/bars",
            {"symbols": "ACME", "timeframe": "1Min", "page_token": "@@"},
            422,
            40010001,
        ),
        (
            "/api/v2/stocks/bars",
            {"symbols": "ACME", "timeframe": "1Min", "sort": "up"},
            422,
            40010001,
        ),
        (
            "/api/v2/stocks/bars",
            {"symbols": "ACME", "timeframe": "1Min", "page_token": "QUNNRXxqdW5r"},  # ACME|junk
            422,
            40010001,
        ),
        ("/api/v2/stocks/NOPE/bars", {"timeframe": "1Min"}, 404, 40410000),
        ("/api/v2/stocks/NOPE/trades/latest", {}, 404, 40410000),
        ("/api/v2/stocks/ACME/trades/latest", {}, 404, 40410000),
        ("/api/v2/stocks/quotes", {"symbols": "ACME"}, 422, 40010001),
        ("/api/v2/stocks/trades/latest", {"symbols": "ACME", "feed": "nasdaq"}, 422, 40010001),
    ],
)
def test_bad_requests_are_refused_in_alpacas_shape(
    alice, key_client, acme, path, params, status, code
):
    response = key_client(alice).get(path, params)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


def test_market_data_needs_an_api_key(api_client, acme):
    response = api_client.get("/api/v2/stocks/trades/latest", {"symbols": "ACME"})
    assert response.status_code in (401, 403) and response.json()["code"] == 40110000
