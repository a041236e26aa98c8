"""The price pull: one round of reference prices, as the clock runs it every few seconds."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import responses
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import streams
from marketdata.models import PriceBar, Stock
from marketdata.providers import FinnhubProvider, SimulatedProvider
from marketdata.providers.simulated import minute_bars
from marketdata.redis_state import PULL_LOCK_KEY, redis_client
from marketdata.services import prices_pull
from marketdata.services import pull as services
from trading.services import order_place
from trading.tests.factories import make_stock

from .conftest import Clock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pull_state")]

FINNHUB = "https://finnhub.io/api/v1/quote"
KEY = "test-key-not-real-1234"


class FinnhubDouble:
    """Finnhub's /quote endpoint as recorded answers: a price per symbol, or a failure."""

    def __init__(self, http: responses.RequestsMock, clock: Clock) -> None:
        self.clock = clock
        self.prices: dict[str, Any] = {}
        self.previous_close: dict[str, Any] = {}
        self.status = 200
        self.calls: list[tuple[str, Any]] = []  # (symbol, clock time)
        http.add_callback(responses.GET, FINNHUB, callback=self._answer)

    def _answer(self, request) -> tuple[int, dict, str]:
        symbol = request.params["symbol"]
        self.calls.append((symbol, self.clock.now))
        if self.status != 200:
            return self.status, {}, json.dumps({"error": "upstream trouble"})
        body = {
            "c": self.prices.get(symbol, 0),
            "pc": self.previous_close.get(symbol, 0),
            "t": int(self.clock.now.timestamp()),
        }
        return 200, {}, json.dumps(body)

    def called(self) -> list[str]:
        return [symbol for symbol, _ in self.calls]


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def finnhub_api(http, clock: Clock) -> FinnhubDouble:
    return FinnhubDouble(http, clock)


def finnhub(clock: Clock) -> FinnhubProvider:
    """A fresh adapter, as a newly started worker process would build it."""
    return FinnhubProvider(KEY, clock=clock)


def priced_by(source: str, clock: Clock, symbol: str, price: str, **kwargs) -> Stock:
    return make_stock(
        symbol,
        price,
        price_source=source,
        price_updated_at=clock.now - timedelta(seconds=5),
        **kwargs,
    )


def published_during(groups: list[str], action) -> tuple[Any, dict[str, dict]]:
    """Run `action` while listening on the groups; return its result and the first message
    each group received (decoded). Subscribing and receiving share one event loop, as the
    pub/sub layer's subscriptions belong to the loop that made them."""
    layer = get_channel_layer()

    async def run():
        channels = {}
        for group in groups:
            channels[group] = await layer.new_channel()
            await layer.group_add(group, channels[group])
        result = await sync_to_async(action)()
        received = {}
        for group, channel in channels.items():
            event = await asyncio.wait_for(layer.receive(channel), timeout=5)
            (part,) = event["parts"].values()
            received[group] = json.loads(part["text"])
        return result, received

    return async_to_sync(run)()


# --------------------------------------------------------------------------- a good round
def test_a_good_round_moves_prices_records_history_and_streams_each_watched_change(
    django_capture_on_commit_callbacks, monkeypatch
):
    acme = make_stock("ACME", "100.00", price_source="universe")
    make_stock("BOLT", "20.00", price_source="universe")
    monkeypatch.setattr(streams, "watched_symbols", lambda: ["ACME"])

    def pull():
        with django_capture_on_commit_callbacks(execute=True):
            return prices_pull(provider=SimulatedProvider(seed=7, replay=False))

    report, received = published_during(["quotes.ACME", "candles.ACME"], pull)

    acme.refresh_from_db()
    assert report.updated == 2 and report.error == ""
    assert report.published == 1  # nobody watches BOLT
    assert acme.reference_price != Decimal("100.00")
    assert abs(acme.reference_price - Decimal("100")) < Decimal("1")  # a random-walk step
    assert acme.price_source == "simulated"
    assert not acme.price_stale
    assert acme.day_high == acme.day_low == acme.reference_price
    history = list(PriceBar.objects.filter(stock=acme).values_list("open", "close", "source"))
    assert history == [(acme.reference_price, acme.reference_price, "simulated")]
    message = received["quotes.ACME"]
    assert message["type"] == "quote"
    assert message["symbol"] == "ACME"
    assert Decimal(message["price"]) == acme.reference_price
    assert message["stale"] is False
    bar = received["candles.ACME"]
    assert (bar["type"], bar["interval"], bar["source"]) == ("candle", "1m", "reference")
    assert Decimal(bar["open"]) == Decimal(bar["close"]) == acme.reference_price


def test_candle_updates_take_turns_when_more_symbols_are_watched_than_a_round_sends(
    monkeypatch, django_capture_on_commit_callbacks
):
    for symbol in ("AAA", "BBB", "CCC"):
        make_stock(symbol, "10.00", price_source="simulated")
    monkeypatch.setattr(streams, "watched_symbols", lambda: ["AAA", "BBB", "CCC"])
    monkeypatch.setattr(services, "CANDLE_UPDATES", 2)
    sent: list[str] = []
    monkeypatch.setattr(services, "publish_candle", lambda bar: sent.append(bar["symbol"]))
    provider = SimulatedProvider(seed=7, replay=False)

    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            prices_pull(provider=provider)

    assert sent == ["AAA", "BBB", "CCC", "AAA", "BBB", "CCC"]


def test_the_simulator_walks_on_from_the_stored_price_whoever_moved_it_last():
    acme = make_stock("ACME", "100.00", price_source="simulated")
    provider = SimulatedProvider(seed=7, replay=False)
    prices_pull(provider=provider)
    # Another worker process (or staff) moved the price meanwhile.
    Stock.objects.filter(pk=acme.pk).update(reference_price=Decimal("50.00"))

    prices_pull(provider=provider)

    acme.refresh_from_db()
    assert abs(acme.reference_price - Decimal("50")) < Decimal("0.5")


def test_a_recorded_symbol_plays_on_from_the_bar_another_process_reached():
    make_stock("NVDA", "187.00", price_source="simulated")
    bars = minute_bars()["NVDA"]
    first, second = SimulatedProvider(seed=1), SimulatedProvider(seed=2)

    for _ in range(3):
        prices_pull(provider=first)
    prices_pull(provider=second)  # a fresh process continues with the fourth recorded bar

    price = Stock.objects.get(symbol="NVDA").reference_price
    assert price == Decimal(bars.close[3]) / 100


def test_history_keeps_a_bar_a_minute_with_every_price_of_the_minute(finnhub_api, clock):
    acme = priced_by("finnhub", clock, "ACME", "100.00")
    provider = finnhub(clock)
    for price in ["101.00", "103.00", "99.50", "100.25", "100.25", "100.25", "100.50"]:
        finnhub_api.prices["ACME"] = price
        prices_pull(provider=provider, now=clock.now)
        clock.advance(10)  # 16:00:00 to 16:01:00: six prices in one minute, one in the next

    bars = list(
        PriceBar.objects.filter(stock=acme)
        .order_by("start")
        .values_list("start", "open", "high", "low", "close")
    )
    assert [b[1:] for b in bars] == [
        (Decimal("101.00"), Decimal("103.00"), Decimal("99.50"), Decimal("100.25")),
        (Decimal("100.50"), Decimal("100.50"), Decimal("100.50"), Decimal("100.50")),
    ]
    assert bars[1][0] - bars[0][0] == timedelta(minutes=1)


# --------------------------------------------------------------------------- failures
def test_a_failing_provider_keeps_the_last_price_marks_it_stale_and_logs_once(
    finnhub_api, clock, caplog
):
    acme = priced_by("finnhub", clock, "ACME", "100.00")
    finnhub_api.status = 503
    caplog.set_level(logging.INFO, logger="marketdata.pull")

    first = prices_pull(provider=finnhub(clock), now=clock.now)
    clock.advance(5)
    prices_pull(provider=finnhub(clock), now=clock.now)

    acme.refresh_from_db()
    assert "HTTP 503" in first.error
    assert acme.reference_price == Decimal("100.00")
    assert acme.price_stale
    assert not PriceBar.objects.exists()
    failing = [r for r in caplog.records if "price pull failing" in r.getMessage()]
    assert len(failing) == 1

    finnhub_api.status = 200
    finnhub_api.prices["ACME"] = "101.50"
    clock.advance(5)
    prices_pull(provider=finnhub(clock), now=clock.now)

    acme.refresh_from_db()
    assert acme.reference_price == Decimal("101.50")
    assert not acme.price_stale
    assert any("recovered" in r.getMessage() for r in caplog.records)


def test_a_rate_limited_provider_backs_off_across_worker_processes(http, clock):
    acme = priced_by("finnhub", clock, "ACME", "100.00")
    http.add(responses.GET, FINNHUB, status=429, json={"error": "API limit reached"})

    report = prices_pull(provider=finnhub(clock), now=clock.now)
    clock.advance(5)
    # The next round runs in another process: its fresh adapter must still hold back.
    again = prices_pull(provider=finnhub(clock), now=clock.now)

    acme.refresh_from_db()
    assert "429" in report.error
    assert "backing off" in again.error
    assert len(http.calls) == 1
    assert acme.price_stale and acme.reference_price == Decimal("100.00")


def test_a_price_that_jumps_beyond_the_bound_is_not_stored(finnhub_api, clock):
    acme = priced_by("finnhub", clock, "ACME", "100.00")
    bolt = priced_by("finnhub", clock, "BOLT", "20.00")
    finnhub_api.prices.update({"ACME": "180.00", "BOLT": "-3"})

    report = prices_pull(provider=finnhub(clock), now=clock.now)

    acme.refresh_from_db()
    bolt.refresh_from_db()
    assert report.refused == 1
    assert acme.reference_price == Decimal("100.00")
    assert bolt.reference_price == Decimal("20.00")  # the adapter drops a negative price
    assert not PriceBar.objects.exists()


def test_the_first_real_quote_may_move_far_from_the_universe_files_placeholder(finnhub_api, clock):
    acme = priced_by("universe", clock, "ACME", "100.00")
    finnhub_api.prices["ACME"] = "180.00"

    prices_pull(provider=finnhub(clock), now=clock.now)

    acme.refresh_from_db()
    assert acme.reference_price == Decimal("180.00")
    assert acme.price_source == "finnhub"


def test_a_price_not_refreshed_for_a_while_turns_stale(finnhub_api, clock, settings):
    settings.MARKETDATA_STALE_SECONDS = 60
    symbols = [f"S{i:02}" for i in range(8)]
    for symbol in symbols:
        priced_by("finnhub", clock, symbol, "10.00")
        finnhub_api.prices[symbol] = "10.01"
    Stock.objects.filter(symbol__in=["S06", "S07"]).update(
        price_updated_at=clock.now - timedelta(minutes=5)
    )

    prices_pull(provider=finnhub(clock), now=clock.now)  # reaches five symbols

    stale = set(Stock.objects.filter(price_stale=True).values_list("symbol", flat=True))
    assert finnhub_api.called() == ["S00", "S01", "S02", "S03", "S04"]
    assert stale == {"S06", "S07"}


# --------------------------------------------------------------------------- order, budget
def test_watched_and_traded_symbols_are_asked_first_and_the_rest_take_turns(
    finnhub_api, clock, fast_password_hashing, alice, monkeypatch
):
    symbols = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH", "KKK", "LLL"]
    for symbol in symbols:
        priced_by("finnhub", clock, symbol, "10.00")
        finnhub_api.prices[symbol] = "10.00"
    monkeypatch.setattr(streams, "watched_symbols", lambda: ["LLL"])
    order_place(
        user=alice,
        symbol="KKK",
        side="buy",
        type="limit",
        time_in_force="gtc",
        qty=1,
        limit_price="9.95",
    )

    prices_pull(provider=finnhub(clock), now=clock.now)
    clock.advance(5)
    prices_pull(provider=finnhub(clock), now=clock.now)

    assert finnhub_api.called() == [
        *["LLL", "KKK", "AAA", "BBB", "CCC"],
        *["LLL", "KKK", "DDD", "EEE", "FFF"],
    ]


def test_the_rate_budget_holds_across_rounds_in_fresh_processes(finnhub_api, clock, settings):
    # Rounds ask for a whole minute's budget each, and each runs in a "new process" (a fresh
    # adapter): only the budget shared through Redis keeps them within 60 calls a minute.
    settings.PRICE_PULL_SECONDS = 60
    for i in range(200):
        priced_by("finnhub", clock, f"S{i:03}", "10.00")
        finnhub_api.prices[f"S{i:03}"] = "10.00"

    for _ in range(30):  # five minutes of 10-second rounds
        prices_pull(provider=finnhub(clock), now=clock.now)
        clock.advance(10)

    times = [when for _, when in finnhub_api.calls]
    busiest = max(
        sum(1 for t in times if start <= t < start + timedelta(seconds=60)) for start in times
    )
    assert busiest == 60
    assert len(times) >= 4 * 60  # and the budget was used, not just refused


def test_a_round_is_skipped_while_another_one_holds_the_lock():
    acme = make_stock("ACME", "100.00", price_source="simulated")
    lock = redis_client().lock(PULL_LOCK_KEY, timeout=30)
    assert lock.acquire(blocking=False)
    try:
        report = prices_pull(provider=SimulatedProvider(seed=7, replay=False))
    finally:
        lock.release()

    acme.refresh_from_db()
    assert report.skipped
    assert acme.reference_price == Decimal("100.00")


def test_history_past_retention_is_deleted(finnhub_api, clock, settings):
    settings.MARKETDATA_HISTORY_DAYS = 2
    acme = priced_by("finnhub", clock, "ACME", "100.00")
    finnhub_api.prices["ACME"] = "100.00"
    old, kept = (
        PriceBar.objects.create(
            stock=acme,
            start=clock.now - age,
            open=Decimal("90"),
            high=Decimal("90"),
            low=Decimal("90"),
            close=Decimal("90"),
            source="finnhub",
        )
        for age in (timedelta(days=3), timedelta(days=1))
    )

    report = prices_pull(provider=finnhub(clock), now=clock.now)

    assert report.pruned == 1
    assert not PriceBar.objects.filter(pk=old.pk).exists()
    assert PriceBar.objects.filter(pk=kept.pk).exists()


# --------------------------------------------------------------------------- statements
def _refresh_statements(provider: SimulatedProvider, capture) -> list[str]:
    """The SQL of one refresh (its quote messages built and handed on at commit)."""
    with CaptureQueriesContext(connection) as ctx, capture(execute=True):
        report = prices_pull(provider=provider)
    assert report.updated == Stock.objects.count()  # every price moved and was written
    return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_refresh_of_six_hundred_watched_symbols_runs_the_statements_of_one_of_three(
    monkeypatch, django_capture_on_commit_callbacks
):
    # A bisect found the price pull 4.5x slower after quote messages came to read the stock's
    # status, which the pull did not load: one query per changed stock. Every symbol here is
    # watched, so every changed price builds its quote message.
    watched = [f"S{n:03}" for n in range(3)]
    monkeypatch.setattr(streams, "watched_symbols", lambda: watched)
    provider = SimulatedProvider(seed=7, replay=False)
    for symbol in watched:
        make_stock(symbol, "50.00", price_source="simulated")
    prices_pull(provider=provider)  # the first round prunes history; later ones do not
    few = _refresh_statements(provider, django_capture_on_commit_callbacks)

    Stock.objects.bulk_create(
        Stock(
            symbol=f"S{n:03}",
            name="bulk",
            reference_price=Decimal("50.00"),
            previous_close=Decimal("50.00"),
            price_source="simulated",
        )
        for n in range(3, 600)
    )
    watched += [f"S{n:03}" for n in range(3, 600)]
    many = _refresh_statements(provider, django_capture_on_commit_callbacks)

    assert len(many) == len(few)
    # Read the stocks, which of them trade (open orders, recent trades), write the prices and
    # their minutes' bars, read the forming bars for the candles stream; PostgreSQL also sets
    # the transaction's commit not to wait for the disk.
    assert len(few) == (7 if connection.vendor == "postgresql" else 6), "\n".join(few)
