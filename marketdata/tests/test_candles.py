"""Candles: OHLCV bars from our trades, or from reference prices where nothing traded."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketdata.models import Stock
from marketdata.selectors import INTERVALS, candles_for, forming_bars
from marketdata.services import price_bars_record
from trading.models import Order, Trade
from trading.tests.factories import make_stock

pytestmark = pytest.mark.django_db

# Two days either side of the start of daylight saving time in New York (2026-03-08).
BASE = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
SPAN_SECONDS = 4 * 86_400


class Tape:
    """Writes trades and reference prices for one stock, the way the exchange stores them."""

    def __init__(self, stock: Stock) -> None:
        user_model = get_user_model()
        self.stock = stock
        buyer = user_model.objects.create_user(username=f"buyer-{stock.symbol}")
        seller = user_model.objects.create_user(username=f"seller-{stock.symbol}")
        self.buy, self.sell = (
            Order.objects.create(
                client_order_id=f"{side}-{stock.symbol}",
                user=user,
                stock=stock,
                side=side,
                type="limit",
                time_in_force="gtc",
                limit_price=Decimal("1"),
                qty=10**9,
            )
            for side, user in (("buy", buyer), ("sell", seller))
        )
        self.seq = itertools.count(1)

    def trades(self, rows: list[tuple[datetime, Decimal, int]]) -> None:
        """Trades in time order; their sequence numbers follow that order, as matching does."""
        Trade.objects.bulk_create(
            Trade(
                stock=self.stock,
                seq=next(self.seq),
                price=price,
                qty=qty,
                buy_order=self.buy,
                sell_order=self.sell,
                buyer=self.buy.user,
                seller=self.sell.user,
                maker_side="buy",
                executed_at=when,
            )
            for when, price, qty in sorted(rows, key=lambda row: row[0])
        )

    def ticks(self, rows: list[tuple[datetime, Decimal]]) -> None:
        """Reference prices as the pull records them: in time order, one round at a time."""
        for when, price in sorted(rows):
            price_bars_record(prices=[(self.stock.id, when, price, "simulated")])


@pytest.fixture
def acme() -> Stock:
    return make_stock("ACME", "100.00")


@pytest.fixture
def tape(acme) -> Tape:
    return Tape(acme)


def at(minutes: float) -> datetime:
    return BASE + timedelta(minutes=minutes)


# --------------------------------------------------------------------------- the naive truth
def naive_bucket(moment: datetime, interval: str):
    """The bar a moment belongs to, computed the obvious way (no database, no shared code)."""
    if interval == "1d":
        return timezone.localtime(moment).date()
    seconds = int(INTERVALS[interval].total_seconds())
    return int(moment.timestamp()) // seconds * seconds


def result_bucket(start: datetime, interval: str):
    if interval == "1d":
        return timezone.localtime(start).date()
    return int(start.timestamp())


def naive_candles(trades, ticks, interval: str) -> list[tuple]:
    """Every bar from trades; bars without trades from reference prices (volume 0), all from
    the raw prices (the database keeps reference prices as minute bars)."""
    bars: dict = {}
    for seq, (when, price, qty) in enumerate(sorted(trades, key=lambda row: row[0])):
        bars.setdefault(naive_bucket(when, interval), []).append((when, seq, price, qty))
    out = {}
    for key, rows in bars.items():
        rows.sort(key=lambda row: (row[0], row[1]))
        prices = [row[2] for row in rows]
        out[key] = (prices[0], max(prices), min(prices), prices[-1], sum(r[3] for r in rows))
        out[key] += ("trades",)
    tick_bars: dict = {}
    for when, price in ticks:
        tick_bars.setdefault(naive_bucket(when, interval), []).append((when, price))
    for key, rows in tick_bars.items():
        if key in out:
            continue
        rows.sort()
        prices = [row[1] for row in rows]
        out[key] = (prices[0], max(prices), min(prices), prices[-1], 0, "reference")
    return [(key, *out[key]) for key in sorted(out)]


moments = st.integers(min_value=0, max_value=SPAN_SECONDS * 1_000_000).map(
    lambda micros: BASE + timedelta(microseconds=micros)
)
prices = st.integers(min_value=1, max_value=10_000_000).map(lambda ticks: Decimal(ticks) / 10_000)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    interval=st.sampled_from(list(INTERVALS)),
    trades=st.lists(
        st.tuples(moments, prices, st.integers(min_value=1, max_value=10_000)), max_size=60
    ),
    ticks=st.lists(st.tuples(moments, prices), max_size=60, unique_by=lambda row: row[0]),
)
def test_candles_agree_with_a_naive_computation_on_random_trades(tape, interval, trades, ticks):
    with transaction.atomic():
        tape.trades(trades)
        tape.ticks(ticks)

        candles = candles_for(
            stock=tape.stock,
            interval=interval,
            start=BASE,
            end=BASE + timedelta(seconds=SPAN_SECONDS + 1),
        )

        got = [
            (result_bucket(c.start, interval), c.open, c.high, c.low, c.close, c.volume, c.source)
            for c in candles
        ]
        assert got == naive_candles(trades, ticks, interval)
        transaction.set_rollback(True)  # the next example starts from an empty tape


def test_a_bar_counts_trades_in_its_period_and_leaves_out_those_outside(tape):
    tape.trades(
        [
            (at(-0.5), Decimal("90"), 5),  # before the range asked for
            (at(0.1), Decimal("100"), 1),
            (at(0.2), Decimal("103"), 2),
            (at(0.3), Decimal("99"), 3),
            (at(0.9), Decimal("101"), 4),
            (at(2.0), Decimal("110"), 5),  # at `end`, which is exclusive
        ]
    )

    (bar,) = candles_for(stock=tape.stock, interval="1m", start=at(0), end=at(2))

    assert (bar.start, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.trades) == (
        at(0),
        Decimal("100"),
        Decimal("103"),
        Decimal("99"),
        Decimal("101"),
        10,
        4,
    )


def test_the_forming_bar_of_the_minute_is_the_bar_the_api_will_show(tape):
    bolt = Tape(make_stock("BOLT", "20.00"))
    tape.trades([(at(0.2), Decimal("101"), 3), (at(0.6), Decimal("99"), 2)])
    tape.ticks([(at(0.1), Decimal("100.5")), (at(0.5), Decimal("100.7"))])
    bolt.ticks([(at(0.1), Decimal("20.1")), (at(0.4), Decimal("20.3")), (at(0.5), Decimal("19.9"))])

    bars = forming_bars(stocks=[tape.stock, bolt.stock], now=at(0.7))

    for stock in (tape.stock, bolt.stock):
        (expected,) = candles_for(stock=stock, interval="1m", start=at(0), end=at(1))
        assert bars[stock.id] == expected
    assert bars[tape.stock.id].volume == 5
    assert bars[bolt.stock.id].source == "reference"


def test_daily_bars_follow_the_new_york_calendar_across_daylight_saving(tape):
    # 04:30 UTC is 23:30 the day before in New York in winter.
    tape.trades(
        [
            (datetime(2026, 3, 7, 4, 30, tzinfo=UTC), Decimal("10"), 1),
            (datetime(2026, 3, 7, 15, 0, tzinfo=UTC), Decimal("11"), 1),
            (datetime(2026, 3, 9, 3, 30, tzinfo=UTC), Decimal("12"), 1),  # 23:30 EDT, the 8th
        ]
    )

    bars = candles_for(
        stock=tape.stock,
        interval="1d",
        start=datetime(2026, 3, 5, tzinfo=UTC),
        end=datetime(2026, 3, 10, tzinfo=UTC),
    )

    assert [(timezone.localtime(b.start).isoformat(), b.close) for b in bars] == [
        ("2026-03-06T00:00:00-05:00", Decimal("10")),
        ("2026-03-07T00:00:00-05:00", Decimal("11")),
        ("2026-03-08T00:00:00-05:00", Decimal("12")),
    ]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
def test_candle_queries_range_over_indexes_instead_of_scanning_tables(tape):
    tape.trades([(at(1), Decimal("100"), 1)])
    tape.ticks([(at(7), Decimal("100"))])

    with CaptureQueriesContext(connection) as queries:
        candles_for(stock=tape.stock, interval="5m", start=at(0), end=at(60))

    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
            plan = " / ".join(row[-1] for row in cursor.fetchall())
            assert "SCAN trading_trade" not in plan, plan
            assert "SCAN marketdata_pricebar" not in plan, plan
    assert len(queries) == 4


# --------------------------------------------------------------------------- the API
@pytest.fixture
def client_of_alice(key_client, alice, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return key_client(alice)


@pytest.fixture
def alice(make_user, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_user("alice")


def test_the_candles_api_serves_trade_bars_and_reference_bars_between_them(tape, client_of_alice):
    tape.trades([(at(0.5), Decimal("100.25"), 7)])
    tape.ticks([(at(1.2), Decimal("100.10")), (at(1.7), Decimal("100.40"))])

    response = client_of_alice.get(
        "/api/v1/stocks/acme/candles",
        {"interval": "1m", "start": "2026-03-07T12:00:00Z", "end": "2026-03-07T12:05:00Z"},
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["symbol"] == "ACME" and body["interval"] == "1m"
    assert body["candles"] == [
        {
            "time": "2026-03-07T12:00:00Z",
            "open": "100.2500",
            "high": "100.2500",
            "low": "100.2500",
            "close": "100.2500",
            "volume": 7,
            "trades": 1,
            "auction_prints": 0,
            "source": "trades",
        },
        {
            "time": "2026-03-07T12:01:00Z",
            "open": "100.1000",
            "high": "100.4000",
            "low": "100.1000",
            "close": "100.4000",
            "volume": 0,
            "trades": 0,
            "auction_prints": 0,
            "source": "reference",
        },
    ]


def test_a_time_whose_plus_sign_became_a_space_in_the_url_still_reads(tape, client_of_alice):
    tape.trades([(at(0.5), Decimal("100"), 1)])

    response = client_of_alice.get(
        "/api/v1/stocks/ACME/candles?interval=5m"
        "&start=2026-03-07T07:00:00+05:00&end=2026-03-07T07:05:00-05:00"
    )

    assert response.status_code == 200, response.json()
    assert len(response.json()["candles"]) == 1


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"interval": "2m"}, "interval", "not a valid choice"),
        ({"start": "yesterday"}, "start", "wrong format"),
        ({"start": "2026-03-07T12:00:00Z", "end": "2026-03-07T11:00:00Z"}, "end", "Before start."),
        (
            {"interval": "1m", "start": "2026-03-01T00:00:00Z", "end": "2026-03-07T00:00:00Z"},
            "end",
            "At most 1000 bars",
        ),
        ({"start": "1969-12-31T00:00:00Z", "interval": "1d"}, "start", "1970 or later"),
    ],
)
def test_a_bad_candle_request_is_refused_in_the_error_shape(
    acme, client_of_alice, query, field, words
):
    response = client_of_alice.get("/api/v1/stocks/ACME/candles", query)

    # Each parameter well-formed but the period they make refused is a 422; a malformed one 400.
    period = words in {"Before start.", "At most 1000 bars"}
    assert response.status_code == (422 if period else 400)
    body = response.json()
    assert body["code"] == ("invalid_period" if period else "invalid_request")
    assert set(body) == {"code", "message", "fields"}
    assert words in " ".join(body["fields"][field])


def test_candles_of_an_unknown_symbol_are_not_found(client_of_alice):
    response = client_of_alice.get("/api/v1/stocks/NOPE/candles")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_without_a_range_the_latest_thousand_bars_are_served(tape, client_of_alice):
    now = timezone.now()
    tape.trades(
        [
            (now - timedelta(minutes=1010), Decimal("4"), 1),
            (now - timedelta(minutes=990), Decimal("5"), 1),
            (now, Decimal("6"), 1),
        ]
    )

    response = client_of_alice.get("/api/v1/stocks/ACME/candles")

    assert response.status_code == 200
    assert [c["close"] for c in response.json()["candles"]] == ["5.0000", "6.0000"]
