"""Polygon (Massive): grouped daily bars for the whole market, 5 calls a minute."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses

from marketdata.providers import PolygonProvider, ProviderError, RateLimited

from .conftest import FAKE_KEY, FakeClock

BASE = "https://api.polygon.io"


def grouped_url(day: str, base: str = BASE) -> str:
    return f"{base}/v2/aggs/grouped/locale/us/market/stocks/{day}"


def bar(ticker: str, close: Any, t: int = 1767675600000) -> dict[str, Any]:
    """One grouped-daily result as Polygon documents it."""
    return {
        "T": ticker,
        "v": 51_234_567,
        "vw": 271.9,
        "o": 270.1,
        "c": close,
        "h": 274.0,
        "l": 269.5,
        "t": t,
        "n": 612_345,
    }


def grouped(*bars: dict[str, Any]) -> dict[str, Any]:
    return {
        "adjusted": True,
        "queryCount": len(bars),
        "request_id": "6a7e466379af0a71039d60cc78e72282",
        "resultsCount": len(bars),
        "status": "OK",
        "results": list(bars),
    }


NO_TRADING = {
    "adjusted": True,
    "queryCount": 0,
    "request_id": "0d2f0bd4",
    "resultsCount": 0,
    "status": "OK",
}


@pytest.fixture
def polygon(clock: FakeClock) -> PolygonProvider:
    return PolygonProvider(FAKE_KEY, clock=clock)


def test_polygon_prices_the_market_from_the_previous_weekday_with_the_close_before(
    polygon: PolygonProvider, http: responses.RequestsMock
) -> None:
    http.add(
        responses.GET,
        grouped_url("2026-01-06"),
        json=grouped(bar("AAPL", 274.12), bar("MSFT", 478.5)),
    )
    http.add(responses.GET, grouped_url("2026-01-05"), json=grouped(bar("AAPL", 271.01)))

    quotes = polygon.fetch(["MSFT", "AAPL"])

    assert [(q.symbol, q.price, q.previous_close) for q in quotes] == [
        ("MSFT", Decimal("478.5"), None),
        ("AAPL", Decimal("274.12"), Decimal("271.01")),
    ]
    assert quotes[0].time == datetime(2026, 1, 6, 21, 0, tzinfo=UTC)  # that day's close
    assert len(http.calls) == 2
    assert http.calls[0].request.headers["Authorization"] == f"Bearer {FAKE_KEY}"
    assert "adjusted=true" in http.calls[0].request.url
    assert FAKE_KEY not in http.calls[0].request.url


def test_polygon_asks_for_a_finished_day_only_once(
    polygon: PolygonProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    http.add(responses.GET, grouped_url("2026-01-06"), json=grouped(bar("AAPL", 274.12)))
    http.add(responses.GET, grouped_url("2026-01-05"), json=grouped(bar("AAPL", 271.01)))
    polygon.fetch(["AAPL"])

    clock.advance(3600)
    quotes = polygon.fetch(["AAPL"])

    assert [q.price for q in quotes] == [Decimal("274.12")]
    assert len(http.calls) == 2


def test_polygon_moves_on_when_the_date_rolls_over(
    polygon: PolygonProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    http.add(responses.GET, grouped_url("2026-01-06"), json=grouped(bar("AAPL", 274.12)))
    http.add(responses.GET, grouped_url("2026-01-05"), json=grouped(bar("AAPL", 271.01)))
    http.add(responses.GET, grouped_url("2026-01-07"), json=grouped(bar("AAPL", 275.00)))
    polygon.fetch(["AAPL"])

    clock.advance(86_400)
    [quote] = polygon.fetch(["AAPL"])

    assert (quote.price, quote.previous_close) == (Decimal("275.00"), Decimal("274.12"))
    assert len(http.calls) == 3


def test_polygon_steps_back_over_a_holiday(http: responses.RequestsMock) -> None:
    # Friday 2 January 2026: the previous weekday is New Year's Day, when markets were shut.
    polygon = PolygonProvider(FAKE_KEY, clock=FakeClock(datetime(2026, 1, 2, 15, 0, tzinfo=UTC)))
    http.add(responses.GET, grouped_url("2026-01-01"), json=NO_TRADING)
    http.add(responses.GET, grouped_url("2025-12-31"), json=grouped(bar("AAPL", 271.86)))
    http.add(responses.GET, grouped_url("2025-12-30"), json=grouped(bar("AAPL", 273.08)))

    [quote] = polygon.fetch(["AAPL"])

    assert (quote.price, quote.previous_close) == (Decimal("271.86"), Decimal("273.08"))
    assert quote.time == datetime(2025, 12, 31, 21, 0, tzinfo=UTC)
    assert len(http.calls) == 3


def test_polygon_gives_up_after_a_bounded_number_of_empty_days(
    polygon: PolygonProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    http.add(responses.GET, grouped_url("2026-01-06"), json=NO_TRADING)
    http.add(responses.GET, grouped_url("2026-01-05"), json=NO_TRADING)
    http.add(responses.GET, grouped_url("2026-01-02"), json=NO_TRADING)
    http.add(responses.GET, grouped_url("2026-01-01"), json=NO_TRADING)
    http.add(responses.GET, grouped_url("2025-12-31"), json=NO_TRADING)

    with pytest.raises(ProviderError, match="no grouped daily bars for 5 weekdays"):
        polygon.fetch(["AAPL"])
    clock.advance(61)
    with pytest.raises(ProviderError):
        polygon.fetch(["AAPL"])  # within the hour the empty days are not asked again

    assert len(http.calls) == 5


def test_polygon_asks_again_an_hour_after_an_empty_day(
    polygon: PolygonProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    # Yesterday not published yet: fall back to the day before, and look again later.
    http.add(responses.GET, grouped_url("2026-01-06"), json=NO_TRADING)
    http.add(responses.GET, grouped_url("2026-01-05"), json=grouped(bar("AAPL", 271.01)))
    http.add(responses.GET, grouped_url("2026-01-02"), json=grouped(bar("AAPL", 270.00)))
    assert [q.price for q in polygon.fetch(["AAPL"])] == [Decimal("271.01")]

    http.replace(responses.GET, grouped_url("2026-01-06"), json=grouped(bar("AAPL", 274.12)))
    clock.advance(1800)
    assert [q.price for q in polygon.fetch(["AAPL"])] == [Decimal("271.01")]
    clock.advance(1800)
    [quote] = polygon.fetch(["AAPL"])

    assert (quote.price, quote.previous_close) == (Decimal("274.12"), Decimal("271.01"))
    assert len(http.calls) == 4


def test_polygon_asks_prev_once_a_day_for_a_ticker_missing_from_the_grouped_bars(
    polygon: PolygonProvider, http: responses.RequestsMock
) -> None:
    http.add(responses.GET, grouped_url("2026-01-06"), json=grouped(bar("AAPL", 274.12)))
    http.add(responses.GET, grouped_url("2026-01-05"), json=grouped(bar("AAPL", 271.01)))
    http.add(
        responses.GET,
        f"{BASE}/v2/aggs/ticker/QUIET/prev",
        json={
            "ticker": "QUIET",
            "queryCount": 1,
            "resultsCount": 1,
            "adjusted": True,
            "results": [bar("QUIET", 8.25, t=1767330000000)],
            "status": "OK",
            "request_id": "e1f2",
        },
    )
    http.add(
        responses.GET,
        f"{BASE}/v2/aggs/ticker/NOPE/prev",
        json={
            "ticker": "NOPE",
            "queryCount": 0,
            "resultsCount": 0,
            "adjusted": True,
            "status": "OK",
            "request_id": "e1f3",
        },
    )

    first = polygon.fetch(["AAPL", "QUIET", "NOPE"])
    second = polygon.fetch(["AAPL", "QUIET", "NOPE"])

    assert first == second
    assert [(q.symbol, q.price, q.previous_close) for q in first] == [
        ("AAPL", Decimal("274.12"), Decimal("271.01")),
        ("QUIET", Decimal("8.25"), None),
    ]
    assert first[1].time == datetime(2026, 1, 2, 21, 0, tzinfo=UTC)  # the bar's own day
    assert polygon.last_dropped == {"NOPE": "unknown symbol"}
    assert len(http.calls) == 4


def test_polygon_never_spends_more_than_five_calls_a_minute(
    polygon: PolygonProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    http.add(responses.GET, grouped_url("2026-01-06"), json=grouped(bar("AAPL", 274.12)))
    http.add(responses.GET, grouped_url("2026-01-05"), json=grouped(bar("AAPL", 271.01)))
    http.add(responses.GET, re.compile(BASE + r"/v2/aggs/ticker/\w+/prev"), json=NO_TRADING)
    missing = [f"GONE{i}" for i in range(40)]
    calls_per_round = []

    for _ in range(12):  # a round every 20 s for four minutes
        before = len(http.calls)
        polygon.fetch(["AAPL", *missing])
        calls_per_round.append(len(http.calls) - before)
        clock.advance(20)

    assert calls_per_round == [5, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0]


def test_polygon_backs_off_after_a_429_and_calls_nobody_meanwhile(
    polygon: PolygonProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    http.add(
        responses.GET,
        grouped_url("2026-01-06"),
        status=429,
        json={
            "status": "ERROR",
            "request_id": "x1",
            "error": "You've exceeded the maximum requests per minute, please wait or upgrade.",
        },
    )

    with pytest.raises(RateLimited, match="exceeded the maximum requests") as caught:
        polygon.fetch(["AAPL"])
    clock.advance(caught.value.retry_after_seconds - 0.5)
    with pytest.raises(RateLimited):
        polygon.fetch(["AAPL"])

    assert len(http.calls) == 1


def test_polygon_still_prices_when_the_day_before_fails(
    polygon: PolygonProvider, http: responses.RequestsMock
) -> None:
    http.add(responses.GET, grouped_url("2026-01-06"), json=grouped(bar("AAPL", 274.12)))
    http.add(responses.GET, grouped_url("2026-01-05"), status=429, json={"status": "ERROR"})

    with pytest.raises(RateLimited) as caught:
        polygon.fetch(["AAPL"])

    assert [(q.symbol, q.price, q.previous_close) for q in caught.value.quotes] == [
        ("AAPL", Decimal("274.12"), None)
    ]


def test_polygon_reports_a_timeout(polygon: PolygonProvider, http: responses.RequestsMock) -> None:
    http.add(responses.GET, grouped_url("2026-01-06"), body=requests.exceptions.ReadTimeout("slow"))

    with pytest.raises(ProviderError, match="timed out"):
        polygon.fetch(["AAPL"])


def test_polygon_reports_a_server_error(
    polygon: PolygonProvider, http: responses.RequestsMock
) -> None:
    http.add(responses.GET, grouped_url("2026-01-06"), status=500, json={"status": "ERROR"})

    with pytest.raises(ProviderError, match="HTTP 500"):
        polygon.fetch(["AAPL"])


@pytest.mark.parametrize(
    "body",
    [
        "upstream connect error",
        '{"status": "NOT_AUTHORIZED", "message": "Your plan does not include this data."}',
        '{"status": "OK", "resultsCount": 2, "results": {"AAPL": 1}}',
        '{"status": "OK", "resultsCount": 2}',
        '["OK"]',
    ],
    ids=["not-json", "bad-status", "results-not-a-list", "count-without-results", "a-list"],
)
def test_polygon_reports_an_answer_it_cannot_read(
    polygon: PolygonProvider, http: responses.RequestsMock, body: str
) -> None:
    http.add(responses.GET, grouped_url("2026-01-06"), body=body)

    with pytest.raises(ProviderError):
        polygon.fetch(["AAPL"])


def test_polygon_drops_bad_prices_in_the_grouped_bars(
    polygon: PolygonProvider, http: responses.RequestsMock
) -> None:
    http.add(
        responses.GET,
        grouped_url("2026-01-06"),
        body='{"status": "OK", "resultsCount": 4, "results": ['
        '{"T": "NEG", "c": -1.5, "t": 1767675600000}, {"T": "NAN", "c": NaN},'
        '{"T": "STR", "c": "abc"}, {"T": "AAPL", "c": 274.12}]}',
    )
    http.add(responses.GET, grouped_url("2026-01-05"), json=grouped(bar("AAPL", 271.01)))

    quotes = polygon.fetch(["NEG", "NAN", "STR", "AAPL"])

    assert [q.symbol for q in quotes] == ["AAPL"]
    assert set(polygon.last_dropped) == {"NEG", "NAN", "STR"}


def test_polygon_can_be_pointed_at_massive(http: responses.RequestsMock, clock: FakeClock) -> None:
    polygon = PolygonProvider(FAKE_KEY, clock=clock, base_url="https://api.massive.com")
    http.add(
        responses.GET,
        grouped_url("2026-01-06", "https://api.massive.com"),
        json=grouped(bar("AAPL", 1)),
    )
    http.add(
        responses.GET,
        grouped_url("2026-01-05", "https://api.massive.com"),
        json=grouped(bar("AAPL", 1)),
    )

    assert [q.symbol for q in polygon.fetch(["AAPL"])] == ["AAPL"]
