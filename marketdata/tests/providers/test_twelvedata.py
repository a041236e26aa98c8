"""Twelve Data: batch /quote, a credit per symbol, 8 credits a minute and 800 a day."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from marketdata.providers import ProviderError, RateLimited, TwelveDataProvider

from .conftest import FAKE_KEY, FakeClock

URL = "https://api.twelvedata.com/quote"
OUT_OF_CREDITS = {
    "code": 429,
    "message": "You have run out of API credits for the current minute. 9 API credits were"
    " used, with the current limit being 8. Wait for the next minute or consider switching"
    " to a higher tier plan at https://twelvedata.com/pricing",
    "status": "error",
}


def item(symbol: str, close: Any = "274.12000", previous: Any = "271.01001") -> dict[str, Any]:
    """One /quote object as Twelve Data documents it (numbers as strings)."""
    return {
        "symbol": symbol,
        "name": f"{symbol} Inc",
        "exchange": "NASDAQ",
        "mic_code": "XNGS",
        "currency": "USD",
        "datetime": "2026-01-07",
        "timestamp": 1767796200,
        "last_quote_at": 1767801600,
        "open": "272.00000",
        "high": "275.00000",
        "low": "271.50000",
        "close": close,
        "volume": "41234567",
        "previous_close": previous,
        "change": "3.10999",
        "percent_change": "1.14755",
        "average_volume": "48765432",
        "is_market_open": True,
    }


def answer(http: responses.RequestsMock, symbols: str, **kwargs: Any) -> None:
    http.add(
        responses.GET, URL, match=[matchers.query_param_matcher({"symbol": symbols})], **kwargs
    )


@pytest.fixture
def twelvedata(clock: FakeClock) -> TwelveDataProvider:
    return TwelveDataProvider(FAKE_KEY, clock=clock)


def test_twelvedata_quotes_a_batch_in_one_call(
    twelvedata: TwelveDataProvider, http: responses.RequestsMock
) -> None:
    answer(http, "AAPL,MSFT", json={"AAPL": item("AAPL"), "MSFT": item("MSFT", "478.50", "480.02")})

    quotes = twelvedata.fetch(["AAPL", "MSFT"])

    assert [(q.symbol, q.price, q.previous_close) for q in quotes] == [
        ("AAPL", Decimal("274.12000"), Decimal("271.01001")),
        ("MSFT", Decimal("478.50"), Decimal("480.02")),
    ]
    assert quotes[0].time == datetime(2026, 1, 7, 16, 0, tzinfo=UTC)
    assert len(http.calls) == 1
    assert http.calls[0].request.headers["Authorization"] == f"apikey {FAKE_KEY}"
    assert FAKE_KEY not in http.calls[0].request.url


def test_twelvedata_reads_a_single_symbol_answer_as_the_object_itself(
    twelvedata: TwelveDataProvider, http: responses.RequestsMock
) -> None:
    answer(http, "AAPL", json=item("AAPL"))

    [quote] = twelvedata.fetch(["AAPL"])

    assert quote.price == Decimal("274.12000")


def test_twelvedata_drops_a_symbol_whose_entry_in_a_batch_is_an_error(
    twelvedata: TwelveDataProvider, http: responses.RequestsMock
) -> None:
    unknown = {"code": 400, "message": "**symbol** not found: NOPE.", "status": "error"}
    answer(
        http, "AAPL,NOPE,MSFT", json={"AAPL": item("AAPL"), "NOPE": unknown, "MSFT": item("MSFT")}
    )

    quotes = twelvedata.fetch(["AAPL", "NOPE", "MSFT"])

    assert [q.symbol for q in quotes] == ["AAPL", "MSFT"]
    assert twelvedata.last_dropped == {"NOPE": "error 400"}


@pytest.mark.parametrize("status", [200, 404])
def test_twelvedata_drops_an_unknown_symbol_asked_alone(
    twelvedata: TwelveDataProvider, http: responses.RequestsMock, status: int
) -> None:
    answer(
        http,
        "NOPE",
        status=status,
        json={"code": 404, "message": "symbol not found", "status": "error"},
    )

    assert twelvedata.fetch(["NOPE"]) == []
    assert "NOPE" in twelvedata.last_dropped


def test_twelvedata_drops_bad_prices_and_keeps_the_rest_of_the_batch(
    twelvedata: TwelveDataProvider, http: responses.RequestsMock
) -> None:
    answer(
        http,
        "NEG,NAN,TXT,GONE,ODD,AAPL",
        json={
            "NEG": item("NEG", "-3.00"),
            "NAN": item("NAN", "NaN"),
            "TXT": item("TXT", "n/a"),
            "ODD": ["not", "an", "object"],
            "AAPL": item("AAPL"),
        },
    )

    quotes = twelvedata.fetch(["NEG", "NAN", "TXT", "GONE", "ODD", "AAPL"])

    assert [q.symbol for q in quotes] == ["AAPL"]
    assert set(twelvedata.last_dropped) == {"NEG", "NAN", "TXT", "GONE", "ODD"}


def test_twelvedata_spends_credits_per_symbol_not_per_call(
    twelvedata: TwelveDataProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    symbols = [f"S{i:02}" for i in range(20)]
    http.add(responses.GET, URL, json={s: item(s) for s in symbols})
    twelvedata.fetch(symbols[:5])  # 5 of the minute's 8 credits

    clock.advance(30)
    partial = twelvedata.fetch(symbols[5:])
    clock.advance(1)
    nothing = twelvedata.fetch(symbols[8:])

    assert [q.symbol for q in partial] == ["S05", "S06", "S07"]
    assert nothing == []
    assert [c.request.params["symbol"] for c in http.calls] == [
        "S00,S01,S02,S03,S04",
        "S05,S06,S07",
    ]


def test_twelvedata_never_spends_more_than_its_credits_a_minute_or_a_day(
    twelvedata: TwelveDataProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    symbols = [f"S{i:02}" for i in range(30)]
    http.add(responses.GET, URL, json={s: item(s) for s in symbols})
    spent: list[tuple[datetime, int]] = []

    for _ in range(86_400 * 3 // 2 // 20):  # a round every 20 s for a day and a half
        before = len(http.calls)
        twelvedata.fetch(symbols)
        for call in http.calls[before:]:
            spent.append((clock(), len(call.request.params["symbol"].split(","))))
        clock.advance(20)

    for end, _ in spent:
        minute = sum(n for t, n in spent if 0 <= (end - t).total_seconds() < 60)
        day = sum(n for t, n in spent if 0 <= (end - t).total_seconds() < 86_400)
        assert minute <= 8
        assert day <= 800
    assert sum(n for _, n in spent) > 800  # the second day's credits are used too


def test_twelvedata_treats_code_429_as_a_refusal_and_waits(
    twelvedata: TwelveDataProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    answer(http, "AAPL", json=OUT_OF_CREDITS)

    with pytest.raises(RateLimited, match="run out of API credits") as caught:
        twelvedata.fetch(["AAPL"])
    clock.advance(caught.value.retry_after_seconds / 2)
    with pytest.raises(RateLimited):
        twelvedata.fetch(["AAPL"])

    assert len(http.calls) == 1


def test_twelvedata_treats_an_http_429_as_a_refusal(
    twelvedata: TwelveDataProvider, http: responses.RequestsMock
) -> None:
    answer(http, "AAPL,MSFT", status=429, json=OUT_OF_CREDITS)

    with pytest.raises(RateLimited):
        twelvedata.fetch(["AAPL", "MSFT"])


def test_twelvedata_reports_a_refused_key(
    twelvedata: TwelveDataProvider, http: responses.RequestsMock
) -> None:
    answer(
        http,
        "AAPL",
        json={"code": 401, "message": "**apikey** parameter is incorrect", "status": "error"},
    )

    with pytest.raises(ProviderError, match="error 401") as caught:
        twelvedata.fetch(["AAPL"])

    assert not isinstance(caught.value, RateLimited)


def test_twelvedata_reports_a_timeout(
    twelvedata: TwelveDataProvider, http: responses.RequestsMock
) -> None:
    http.add(responses.GET, URL, body=requests.exceptions.ConnectTimeout("connect timed out"))

    with pytest.raises(ProviderError, match="timed out"):
        twelvedata.fetch(["AAPL"])


def test_twelvedata_reports_a_server_error(
    twelvedata: TwelveDataProvider, http: responses.RequestsMock
) -> None:
    http.add(responses.GET, URL, status=500, json={"code": 500, "status": "error"})

    with pytest.raises(ProviderError, match="HTTP 500"):
        twelvedata.fetch(["AAPL"])


@pytest.mark.parametrize("body", ["<h1>502</h1>", "[]", "null"], ids=["not-json", "list", "null"])
def test_twelvedata_reports_an_answer_it_cannot_read(
    twelvedata: TwelveDataProvider, http: responses.RequestsMock, body: str
) -> None:
    http.add(responses.GET, URL, body=body)

    with pytest.raises(ProviderError):
        twelvedata.fetch(["AAPL"])
