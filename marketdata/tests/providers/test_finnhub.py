"""Finnhub: /quote, one symbol a call, 60 calls a minute."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from marketdata.providers import FinnhubProvider, ProviderError, RateLimited

from .conftest import FAKE_KEY, FakeClock

URL = "https://finnhub.io/api/v1/quote"


def quote_body(c: Any = 273.195, pc: Any = 271.01, t: int = 1767801600) -> dict[str, Any]:
    """A /quote answer as Finnhub documents it."""
    return {"c": c, "d": 2.185, "dp": 0.8063, "h": 274.5, "l": 270.8, "o": 271.4, "pc": pc, "t": t}


def answer(http: responses.RequestsMock, symbol: str, **kwargs: Any) -> None:
    http.add(responses.GET, URL, match=[matchers.query_param_matcher({"symbol": symbol})], **kwargs)


@pytest.fixture
def finnhub(clock: FakeClock) -> FinnhubProvider:
    return FinnhubProvider(FAKE_KEY, clock=clock)


def test_finnhub_quotes_each_symbol_with_its_previous_close(
    finnhub: FinnhubProvider, http: responses.RequestsMock
) -> None:
    answer(http, "AAPL", json=quote_body())
    answer(http, "MSFT", body='{"c": 478.11, "pc": 480.02, "t": 1767801660}')

    quotes = finnhub.fetch(["AAPL", "MSFT"])

    assert [(q.symbol, q.price, q.previous_close) for q in quotes] == [
        ("AAPL", Decimal("273.195"), Decimal("271.01")),
        ("MSFT", Decimal("478.11"), Decimal("480.02")),
    ]
    assert quotes[0].time == datetime(2026, 1, 7, 16, 0, tzinfo=UTC)
    assert http.calls[0].request.headers["X-Finnhub-Token"] == FAKE_KEY
    assert FAKE_KEY not in http.calls[0].request.url


def test_finnhub_drops_an_unknown_symbol(
    finnhub: FinnhubProvider, http: responses.RequestsMock
) -> None:
    answer(
        http, "NOPE", json={"c": 0, "d": None, "dp": None, "h": 0, "l": 0, "o": 0, "pc": 0, "t": 0}
    )
    answer(http, "AAPL", json=quote_body())

    quotes = finnhub.fetch(["NOPE", "AAPL"])

    assert [q.symbol for q in quotes] == ["AAPL"]
    assert finnhub.last_dropped == {"NOPE": "unknown symbol"}


def test_finnhub_drops_bad_prices_and_logs_them_once_per_round(
    finnhub: FinnhubProvider, http: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    answer(http, "NEG", json=quote_body(c=-4.5))
    answer(http, "STR", json=quote_body(c="NaN"))
    answer(http, "LIT", body='{"c": NaN, "pc": 1.0, "t": 1767801600}')
    answer(http, "INF", body='{"c": Infinity, "pc": 1.0, "t": 1767801600}')
    answer(http, "TXT", json=quote_body(c="twelve"))
    answer(http, "AAPL", json=quote_body())

    with caplog.at_level(logging.WARNING, logger="marketdata.providers"):
        quotes = finnhub.fetch(["NEG", "STR", "LIT", "INF", "TXT", "AAPL"])

    assert [q.symbol for q in quotes] == ["AAPL"]
    assert set(finnhub.last_dropped) == {"NEG", "STR", "LIT", "INF", "TXT"}
    drop_lines = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(drop_lines) == 1
    assert "dropped 5 quote(s)" in drop_lines[0].getMessage()


def test_finnhub_never_spends_more_than_sixty_calls_a_minute(
    finnhub: FinnhubProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    http.add(responses.GET, URL, json=quote_body())
    symbols = [f"S{i:03}" for i in range(500)]
    call_times: list[datetime] = []

    got = []
    for _ in range(20):  # a round every 15 s for five minutes
        before = len(http.calls)
        got.append(len(finnhub.fetch(symbols)))
        call_times += [clock()] * (len(http.calls) - before)
        clock.advance(15)

    for end in call_times:
        assert sum(1 for t in call_times if 0 <= (end - t).total_seconds() < 60) <= 60
    # The window is kept a second longer than a minute, so the budget returns at 75 s, not 60 s.
    assert got == [60, 0, 0, 0, 0] * 4
    assert len(http.calls) == 4 * 60


def test_finnhub_backs_off_after_a_429_and_calls_nobody_meanwhile(
    finnhub: FinnhubProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    answer(http, "AAPL", json=quote_body())
    answer(http, "MSFT", status=429, json={"error": "API limit reached. Please try again later."})

    with pytest.raises(RateLimited) as caught:
        finnhub.fetch(["AAPL", "MSFT", "NVDA"])

    assert [q.symbol for q in caught.value.quotes] == ["AAPL"]
    assert caught.value.retry_after_seconds == 10
    assert len(http.calls) == 2

    clock.advance(9)
    with pytest.raises(RateLimited) as waiting:
        finnhub.fetch(["AAPL"])
    assert waiting.value.retry_after_seconds == pytest.approx(1)
    assert len(http.calls) == 2

    clock.advance(1)
    assert [q.symbol for q in finnhub.fetch(["AAPL"])] == ["AAPL"]
    assert len(http.calls) == 3


def test_finnhub_backs_off_longer_after_each_refusal(
    finnhub: FinnhubProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    http.add(responses.GET, URL, status=429, json={"error": "API limit reached."})

    delays = []
    for _ in range(4):
        with pytest.raises(RateLimited) as caught:
            finnhub.fetch(["AAPL"])
        delays.append(caught.value.retry_after_seconds)
        clock.advance(caught.value.retry_after_seconds)

    assert delays == [10, 20, 40, 80]
    assert len(http.calls) == 4


def test_finnhub_honours_retry_after(
    finnhub: FinnhubProvider, http: responses.RequestsMock, clock: FakeClock
) -> None:
    http.add(responses.GET, URL, status=429, headers={"Retry-After": "45"}, json={"error": "x"})

    with pytest.raises(RateLimited) as caught:
        finnhub.fetch(["AAPL"])

    assert caught.value.retry_after_seconds == 45
    clock.advance(44)
    assert finnhub.seconds_until_next_call() == pytest.approx(1)


def test_finnhub_keeps_the_quotes_got_before_a_timeout(
    finnhub: FinnhubProvider, http: responses.RequestsMock
) -> None:
    answer(http, "AAPL", json=quote_body())
    answer(http, "MSFT", body=requests.exceptions.ReadTimeout("Read timed out. (read timeout=5)"))

    with pytest.raises(ProviderError) as caught:
        finnhub.fetch(["AAPL", "MSFT", "NVDA"])

    assert not isinstance(caught.value, RateLimited)
    assert "timed out" in str(caught.value)
    assert [q.symbol for q in caught.value.quotes] == ["AAPL"]
    assert len(http.calls) == 2  # NVDA is not tried after the failure


def test_finnhub_reports_a_connection_error(
    finnhub: FinnhubProvider, http: responses.RequestsMock
) -> None:
    http.add(
        responses.GET, URL, body=requests.exceptions.ConnectionError("Name or service not known")
    )

    with pytest.raises(ProviderError, match="could not connect"):
        finnhub.fetch(["AAPL"])


def test_finnhub_reports_a_server_error(
    finnhub: FinnhubProvider, http: responses.RequestsMock
) -> None:
    http.add(responses.GET, URL, status=502, body="<html>Bad Gateway</html>")

    with pytest.raises(ProviderError, match="HTTP 502"):
        finnhub.fetch(["AAPL"])


@pytest.mark.parametrize(
    "body",
    ["<html>maintenance</html>", "[1, 2, 3]", '{"pc": 271.01, "t": 1767801600}', '"c"'],
    ids=["not-json", "a-list", "no-price-field", "a-string"],
)
def test_finnhub_reports_an_answer_it_cannot_read(
    finnhub: FinnhubProvider, http: responses.RequestsMock, body: str
) -> None:
    answer(http, "AAPL", json=quote_body())
    answer(http, "MSFT", body=body)

    with pytest.raises(ProviderError) as caught:
        finnhub.fetch(["AAPL", "MSFT"])

    assert [q.symbol for q in caught.value.quotes] == ["AAPL"]


def test_finnhub_reports_a_refused_key(
    finnhub: FinnhubProvider, http: responses.RequestsMock
) -> None:
    http.add(responses.GET, URL, status=401, json={"error": "Invalid API key"})

    with pytest.raises(ProviderError, match="refused the API key"):
        finnhub.fetch(["AAPL"])
