"""Quotes, price checks and choosing a provider from the settings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from marketdata.providers import (
    PROVIDERS,
    ProviderError,
    Quote,
    SimulatedProvider,
    get_provider,
    is_sane,
    parse_price,
)
from marketdata.providers.base import Provider, _Round, retry_after_seconds

from .conftest import FAKE_KEY, FakeClock

NOW = datetime(2026, 1, 7, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("187.25", Decimal("187.25")),
        (Decimal("0.0001"), Decimal("0.0001")),
        (42, Decimal(42)),
        (" 12.5 ", Decimal("12.5")),
    ],
)
def test_parse_price_accepts_positive_numbers(value: object, expected: Decimal) -> None:
    assert parse_price(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        0,
        "0",
        -3,
        "-1.5",
        "NaN",
        "nan",
        Decimal("NaN"),
        "Infinity",
        Decimal("-Infinity"),
        "abc",
        "",
        None,
        True,
        [],
        {},
        "1e12",
    ],
)
def test_parse_price_refuses_what_is_not_a_usable_price(value: object) -> None:
    assert parse_price(value) is None


def test_is_sane_accepts_a_move_within_the_bound() -> None:
    assert is_sane(Decimal("149.00"), Decimal("100.00"))
    assert is_sane(Decimal("50.00"), Decimal("100.00"))


def test_is_sane_refuses_a_jump_beyond_the_bound() -> None:
    assert not is_sane(Decimal("150.01"), Decimal("100.00"))
    assert not is_sane(Decimal("49.99"), Decimal("100.00"))
    assert not is_sane(Decimal("110"), Decimal("100"), max_jump=Decimal("0.05"))


def test_is_sane_accepts_any_good_first_price_and_no_bad_one() -> None:
    assert is_sane(Decimal("3.21"), None)
    assert not is_sane(Decimal("0"), None)
    assert not is_sane(Decimal("NaN"), Decimal("100"))


def test_a_quote_refuses_a_bad_price() -> None:
    with pytest.raises(ValueError):
        Quote("AAPL", Decimal("-1"), None, NOW)
    with pytest.raises(ValueError):
        Quote("AAPL", Decimal("1"), Decimal("NaN"), NOW)


def test_a_quote_needs_an_aware_time_and_keeps_it_in_utc() -> None:
    with pytest.raises(ValueError):
        Quote("AAPL", Decimal("1"), None, datetime(2026, 1, 7, 16, 0))

    quote = Quote(
        "AAPL",
        Decimal("1"),
        None,
        datetime(2026, 1, 7, 11, 0, tzinfo=timezone(timedelta(hours=-5))),
    )

    assert quote.time == NOW and quote.time.tzinfo == UTC


def test_every_documented_provider_is_registered() -> None:
    assert set(PROVIDERS) == {"simulated", "finnhub", "alphavantage", "polygon", "twelvedata"}


@pytest.mark.parametrize(
    ("name", "per_minute", "per_day", "max_batch"),
    [
        ("finnhub", 60, None, 1),
        ("alphavantage", 5, 25, 1),
        ("polygon", 5, None, None),
        ("twelvedata", 8, 800, 8),
        ("simulated", None, None, None),
    ],
)
def test_each_provider_declares_its_free_tier(
    name: str, per_minute: int | None, per_day: int | None, max_batch: int | None
) -> None:
    provider = PROVIDERS[name]
    assert provider.requests_per_minute == per_minute
    assert provider.requests_per_day == per_day
    if max_batch is None:
        assert provider.max_batch >= 10_000  # the whole market in one call
    else:
        assert provider.max_batch == max_batch


def test_get_provider_refuses_an_unknown_name() -> None:
    with pytest.raises(ProviderError, match="'yahoo' is not a provider.*finnhub"):
        get_provider("yahoo", FAKE_KEY)


@pytest.mark.parametrize("key", [None, "", "  \n"])
def test_get_provider_refuses_a_keyed_provider_without_a_key(key: str | None) -> None:
    with pytest.raises(ProviderError) as caught:
        get_provider("finnhub", key)

    assert str(caught.value) == (
        "MARKETDATA_PROVIDER=finnhub needs MARKETDATA_API_KEY or MARKETDATA_API_KEY_FILE"
    )


def test_get_provider_builds_each_keyed_provider() -> None:
    for name in ("finnhub", "alphavantage", "polygon", "twelvedata"):
        provider = get_provider(name.upper(), FAKE_KEY + "\n")
        assert provider.name == name


def test_get_provider_needs_no_key_for_the_simulator() -> None:
    provider = get_provider("simulated", None, seed_prices={"ACME": Decimal("12.34")})

    assert isinstance(provider, SimulatedProvider)
    assert provider.start_price("ACME") == Decimal("12.34")


def test_a_massive_base_url_can_replace_polygons() -> None:
    provider = get_provider("polygon", FAKE_KEY, base_url="https://api.massive.com/")

    assert provider.base_url == "https://api.massive.com"


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("30", NOW) == 30
    assert retry_after_seconds("Wed, 07 Jan 2026 16:02:00 GMT", NOW) == 120
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None


def test_a_budget_handed_over_binds_the_next_process(clock: FakeClock) -> None:
    first = get_provider("alphavantage", FAKE_KEY, clock=clock)
    for _ in range(4):
        first.limiter.try_acquire()
    first.backoff.trip()

    second = get_provider("alphavantage", FAKE_KEY, clock=clock)
    second.restore_state(json.loads(json.dumps(first.export_state())))

    assert second.backoff.remaining() == 10
    clock.advance(10)
    assert second.limiter.try_acquire()
    assert not second.limiter.try_acquire()


class MisreadingProvider(Provider):
    """An adapter whose parser trips over an answer shaped unlike the documentation."""

    name = "misreading"
    needs_key = False

    def _fetch_round(self, symbols: list[str], collected: _Round) -> None:
        collected.add(Quote(symbols[0], Decimal("1.00"), None, NOW))
        # As a parser would on meeting an answer without the field it expects.
        {}["c"]


def test_a_parser_tripping_over_an_answer_becomes_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="not in the documented shape") as caught:
        MisreadingProvider().fetch(["AAPL", "MSFT"])

    assert [q.symbol for q in caught.value.quotes] == ["AAPL"]
