"""Alpha Vantage: GLOBAL_QUOTE, one symbol a call, 5 calls a minute and 25 a day."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from marketdata.providers import AlphaVantageProvider, ProviderError, RateLimited

from .conftest import FAKE_KEY, FakeClock

URL = "https://www.alphavantage.co/query"
NOTE = (
    "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute"
    " and 25 calls per day. Please visit https://www.alphavantage.co/premium/ if you would"
    " like to target a higher API call frequency."
)
INFORMATION = (
    "We have detected your API key as DEMO and our standard API rate limit is 25 requests"
    " per day. Please subscribe to any of the premium plans to instantly remove all daily"
    " rate limits."
)


def global_quote(symbol: str = "IBM", price: str = "291.4500", day: str = "2026-01-06") -> dict:
    """A GLOBAL_QUOTE answer as Alpha Vantage documents it."""
    return {
        "Global Quote": {
            "01. symbol": symbol,
            "02. open": "289.1000",
            "03. high": "292.0000",
            "04. low": "288.2500",
            "05. price": price,
            "06. volume": "3104562",
            "07. latest trading day": day,
            "08. previous close": "288.7700",
            "09. change": "2.6800",
            "10. change percent": "0.9281%",
        }
    }


def answer(http: responses.RequestsMock, symbol: str, **kwargs: Any) -> None:
    match = matchers.query_param_matcher(
        {"function": "GLOBAL_QUOTE", "symbol": symbol, "apikey": FAKE_KEY}
    )
    http.add(responses.GET, URL, match=[match], **kwargs)


@pytest.fixture
def alphavantage(clock: FakeClock) -> AlphaVantageProvider:
    return AlphaVantageProvider(FAKE_KEY, clock=clock)


def test_alphavantage_quotes_a_symbol_with_its_previous_close(
    alphavantage: AlphaVantageProvider, http: responses.RequestsMock
) -> None:
    answer(http, "IBM", json=global_quote())

    [quote] = alphavantage.fetch(["IBM"])

    assert quote.symbol == "IBM"
    assert quote.price == Decimal("291.4500")
    assert quote.previous_close == Decimal("288.7700")
    # Only a date is given: the quote is as of that day's close, 16:00 in New York.
    assert quote.time == datetime(2026, 1, 6, 21, 0, tzinfo=UTC)


def test_alphavantage_dates_a_quote_of_the_open_day_now(
    alphavantage: AlphaVantageProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    answer(http, "IBM", json=global_quote(day="2026-01-07"))

    [quote] = alphavantage.fetch(["IBM"])

    assert quote.time == clock()


def test_alphavantage_drops_an_unknown_symbol(
    alphavantage: AlphaVantageProvider, http: responses.RequestsMock
) -> None:
    answer(http, "NOPE", json={"Global Quote": {}})
    answer(http, "IBM", json=global_quote())

    quotes = alphavantage.fetch(["NOPE", "IBM"])

    assert [q.symbol for q in quotes] == ["IBM"]
    assert alphavantage.last_dropped == {"NOPE": "unknown symbol"}


@pytest.mark.parametrize("price", ["-1.0000", "0.0000", "NaN", "none", ""])
def test_alphavantage_drops_a_bad_price(
    alphavantage: AlphaVantageProvider, http: responses.RequestsMock, price: str
) -> None:
    answer(http, "IBM", json=global_quote(price=price))

    assert alphavantage.fetch(["IBM"]) == []
    assert "IBM" in alphavantage.last_dropped


@pytest.mark.parametrize("field,text", [("Note", NOTE), ("Information", INFORMATION)])
def test_alphavantage_treats_a_note_or_information_body_as_a_refusal(
    alphavantage: AlphaVantageProvider,
    http: responses.RequestsMock,
    clock: FakeClock,
    field: str,
    text: str,
) -> None:
    answer(http, "IBM", json=global_quote())
    answer(http, "MSFT", json={field: text})

    with pytest.raises(RateLimited) as caught:
        alphavantage.fetch(["IBM", "MSFT", "AAPL"])

    assert [q.symbol for q in caught.value.quotes] == ["IBM"]
    assert "throttled" in str(caught.value)
    assert len(http.calls) == 2

    clock.advance(caught.value.retry_after_seconds - 1)
    with pytest.raises(RateLimited):
        alphavantage.fetch(["IBM"])
    assert len(http.calls) == 2


def test_alphavantage_never_exceeds_five_a_minute_or_twenty_five_a_day(
    alphavantage: AlphaVantageProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    http.add(responses.GET, URL, json=global_quote())
    call_times: list[datetime] = []

    for _ in range(2 * 86_400 // 10):  # a round every 10 s for two days
        before = len(http.calls)
        alphavantage.fetch([f"S{i}" for i in range(40)])
        call_times += [clock()] * (len(http.calls) - before)
        clock.advance(10)

    for end in call_times:
        last_minute = [t for t in call_times if 0 <= (end - t).total_seconds() < 60]
        last_day = [t for t in call_times if 0 <= (end - t).total_seconds() < 86_400]
        assert len(last_minute) <= 5
        assert len(last_day) <= 25
    assert len(call_times) == 50  # the whole budget of both days is used


def test_alphavantage_keeps_the_quotes_got_before_a_timeout(
    alphavantage: AlphaVantageProvider, http: responses.RequestsMock
) -> None:
    answer(http, "IBM", json=global_quote())
    answer(http, "MSFT", body=requests.exceptions.ReadTimeout("Read timed out."))

    with pytest.raises(ProviderError, match="timed out") as caught:
        alphavantage.fetch(["IBM", "MSFT"])

    assert [q.symbol for q in caught.value.quotes] == ["IBM"]


def test_alphavantage_reports_a_server_error(
    alphavantage: AlphaVantageProvider, http: responses.RequestsMock
) -> None:
    http.add(responses.GET, URL, status=503, body="Service Unavailable")

    with pytest.raises(ProviderError, match="HTTP 503"):
        alphavantage.fetch(["IBM"])


@pytest.mark.parametrize(
    "body",
    [
        "<!DOCTYPE html><title>Oops</title>",
        "[]",
        '{"Realtime Quote": {}}',
        '{"Global Quote": "IBM"}',
        '{"Global Quote": {"01. symbol": "IBM", "08. previous close": "288.7700"}}',
    ],
    ids=["not-json", "a-list", "other-key", "quote-not-an-object", "no-price-field"],
)
def test_alphavantage_reports_an_answer_it_cannot_read(
    alphavantage: AlphaVantageProvider, http: responses.RequestsMock, body: str
) -> None:
    answer(http, "IBM", body=body)

    with pytest.raises(ProviderError) as caught:
        alphavantage.fetch(["IBM"])

    assert not isinstance(caught.value, RateLimited)


def test_alphavantage_reports_an_error_message(
    alphavantage: AlphaVantageProvider, http: responses.RequestsMock
) -> None:
    answer(
        http,
        "IBM",
        json={"Error Message": "the parameter apikey is invalid or missing."},
    )

    with pytest.raises(ProviderError, match="apikey is invalid"):
        alphavantage.fetch(["IBM"])
