"""The simulated provider: a seeded walk and a replay of real minute bars."""

from __future__ import annotations

from decimal import Decimal

import responses

from marketdata.providers import SimulatedProvider
from marketdata.providers.simulated import minute_bars

from .conftest import FakeClock

REPLAYED = ["QQQ", "SPY", "NVDA", "AAPL", "MSFT"]
WALKERS = ["ACME", "ZZZ", "BRK.B", "PENNY"]


def prices(provider: SimulatedProvider, symbols: list[str], rounds: int) -> list[list[Decimal]]:
    return [[quote.price for quote in provider.fetch(symbols)] for _ in range(rounds)]


def test_the_simulator_is_deterministic_for_a_seed(clock: FakeClock) -> None:
    first = SimulatedProvider(clock=clock, seed=7)
    second = SimulatedProvider(clock=clock, seed=7)

    assert prices(first, WALKERS, 50) == prices(second, WALKERS, 50)


def test_different_seeds_walk_differently(clock: FakeClock) -> None:
    assert prices(SimulatedProvider(clock=clock, seed=1), WALKERS, 5) != prices(
        SimulatedProvider(clock=clock, seed=2), WALKERS, 5
    )


def test_a_symbols_walk_does_not_depend_on_the_other_symbols_asked(clock: FakeClock) -> None:
    alone = SimulatedProvider(clock=clock, seed=3)
    crowded = SimulatedProvider(clock=clock, seed=3)

    walk_alone = [alone.fetch(["ACME"])[0].price for _ in range(20)]
    walk_crowded = [
        next(q.price for q in crowded.fetch(["ZZZ", "ACME", "QQQ"]) if q.symbol == "ACME")
        for _ in range(20)
    ]

    assert walk_alone == walk_crowded


def test_simulated_prices_are_positive_and_in_cents(clock: FakeClock) -> None:
    provider = SimulatedProvider(
        clock=clock, seed_prices={"PENNY": Decimal("0.01"), "ACME": Decimal("3.50")}
    )

    for row in prices(provider, WALKERS + REPLAYED, 2000):
        for price in row:
            assert price > 0
            assert price == price.quantize(Decimal("0.01"))


def test_the_walk_starts_at_the_seed_price_and_moves(clock: FakeClock) -> None:
    provider = SimulatedProvider(clock=clock, seed_prices={"ACME": Decimal("20")})

    walk = [quote for _ in range(30) for quote in provider.fetch(["ACME"])]

    assert walk[0].price == Decimal("20.00")
    assert all(quote.previous_close == Decimal("20.00") for quote in walk)
    assert len({quote.price for quote in walk}) > 5
    assert all(Decimal("15") < quote.price < Decimal("25") for quote in walk)


def test_the_five_symbols_follow_the_real_bars(clock: FakeClock) -> None:
    provider = SimulatedProvider(clock=clock, seed_prices={"AAPL": Decimal("1.00")})

    aapl = [provider.fetch(["AAPL"])[0] for _ in range(4)]

    # The first recorded closes, 2025-12-29 from 14:30 UTC: 273.195, 273.75, 274.1196, 273.36.
    assert [quote.price for quote in aapl] == [
        Decimal("273.20"),
        Decimal("273.75"),
        Decimal("274.12"),
        Decimal("273.36"),
    ]
    assert aapl[0].previous_close == Decimal("272.50")  # the first bar's open
    assert aapl[0].time == clock()


def test_every_replayed_symbol_advances_one_bar_per_fetch(clock: FakeClock) -> None:
    provider = SimulatedProvider(clock=clock)
    bars = minute_bars()

    for index in range(10):
        for quote in provider.fetch(REPLAYED):
            assert quote.price == Decimal(bars[quote.symbol].close[index]) / 100


def test_the_replay_wraps_around_at_the_end(clock: FakeClock) -> None:
    provider = SimulatedProvider(clock=clock)
    length = len(minute_bars()["NVDA"])
    assert length == 1559

    first = provider.fetch(["NVDA"])[0].price
    for _ in range(length - 1):
        provider.fetch(["NVDA"])

    assert provider.fetch(["NVDA"])[0].price == first


def test_the_simulator_makes_no_http_call(clock: FakeClock, http: responses.RequestsMock) -> None:
    provider = SimulatedProvider(clock=clock)

    provider.fetch(REPLAYED + WALKERS)

    assert len(http.calls) == 0
    assert provider.seconds_until_next_call() == 0
