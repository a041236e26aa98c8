"""The default provider: a seeded random walk, plus a replay of real minute bars for five symbols."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import requests

from .base import WHOLE_MARKET, Provider, Quote, _Round, parse_price
from .ratelimit import Clock

MINUTE_BARS_PATH = Path(__file__).resolve().parent.parent / "data" / "minute_bars.json"

CENT = Decimal("0.01")
# The walk keeps more digits than it shows so that moves smaller than a cent add up
# instead of being rounded away on every step (which would freeze cheap stocks).
WALK_PRECISION = Decimal("0.000001")


@dataclass(frozen=True)
class MinuteBars:
    """One symbol's recorded bars: start times (epoch s) and prices in cents."""

    start: tuple[int, ...]
    open: tuple[int, ...]
    high: tuple[int, ...]
    low: tuple[int, ...]
    close: tuple[int, ...]
    volume: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.close)


@cache
def minute_bars() -> dict[str, MinuteBars]:
    """The recorded bars shipped with the project, by symbol."""
    data = json.loads(MINUTE_BARS_PATH.read_text(encoding="utf-8"))
    return {
        symbol: MinuteBars(**{field: tuple(values) for field, values in bars.items()})
        for symbol, bars in data["symbols"].items()
    }


def _cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


class _Walk:
    """One symbol's seeded geometric random walk."""

    def __init__(self, rng: random.Random, start: Decimal) -> None:
        self.rng = rng
        self.start = start
        self.level = start
        self.shown = False  # the first fetch shows the start, later ones move

    def step(self, volatility: float, pull: float) -> None:
        # The random draw is a float, but it only picks a return; the price itself moves in
        # Decimal. A weak pull toward the start keeps a demo that runs for weeks near sane levels.
        ret = self.rng.gauss(0.0, volatility) - pull * math.log(self.level / self.start)
        factor = Decimal(1) + Decimal(repr(round(ret, 9)))
        self.level = max(CENT, (self.level * factor).quantize(WALK_PRECISION, ROUND_HALF_EVEN))

    @property
    def price(self) -> Decimal:
        return max(CENT, self.level.quantize(CENT, ROUND_HALF_EVEN))


class SimulatedProvider(Provider):
    """Prices without an API key.

    Every symbol does a random walk seeded by (seed, symbol), so a run is reproducible from
    the seed and the sequence of fetches, whatever other symbols are asked for. It starts
    at `seed_prices[symbol]`, or at a seeded price between 10 and 500 dollars, and moves
    once per fetch that includes it (the first fetch shows the start). QQQ, SPY, NVDA, AAPL
    and MSFT instead replay real one-minute bars from marketdata/data/minute_bars.json, one
    bar per fetch, wrapping around at the end; their `seed_prices` are ignored, because the
    recording is the point. Prices are in cents and never below one cent.

    `previous_close` is the walk's start price, or the first recorded bar's open; a quote's
    `time` is the fetch time, since the simulator plays a live feed.
    """

    name = "simulated"
    requests_per_minute = None
    requests_per_day = None
    max_batch = WHOLE_MARKET
    needs_key = False

    volatility = 0.001  # about 0.1 % per step
    mean_reversion = 0.00002

    def __init__(
        self,
        api_key: str | None = None,
        *,
        session: requests.Session | None = None,
        clock: Clock | None = None,
        base_url: str | None = None,
        seed: int | str = 0,
        seed_prices: Mapping[str, Decimal] | None = None,
        replay: bool = True,
    ) -> None:
        # No key, no HTTP: whatever key or session is passed is not used.
        super().__init__(None, session=session, clock=clock, base_url=base_url)
        self.seed = seed
        self._seed_prices = dict(seed_prices or {})
        self._bars = minute_bars() if replay else {}
        self._bar_index: dict[str, int] = {}
        self._walks: dict[str, _Walk] = {}

    def replay_symbols(self) -> list[str]:
        """The symbols that replay recorded bars rather than walk."""
        return list(self._bars)

    def start_price(self, symbol: str) -> Decimal:
        """Where `symbol` starts (and its previous close): for seeding a fresh database."""
        bars = self._bars.get(symbol)
        if bars is not None:
            return _cents(bars.open[0])
        return self._walk(symbol).start

    def _walk(self, symbol: str) -> _Walk:
        walk = self._walks.get(symbol)
        if walk is None:
            # A string seed is hashed with SHA-512 by random, so it is stable across processes.
            rng = random.Random(f"{self.seed}/{symbol}")
            start = parse_price(self._seed_prices.get(symbol))
            if start is None:
                start = _cents(rng.randrange(1_000, 50_000))
            walk = self._walks[symbol] = _Walk(rng, start.quantize(CENT, ROUND_HALF_EVEN))
        return walk

    def resume(
        self,
        prices: Mapping[str, Decimal],
        previous_closes: Mapping[str, Decimal | None] | None = None,
    ) -> None:
        """Continue each walk from the last price stored for it, and from its previous close.

        The job keeps one simulator per worker process, and a restart or another process may
        have moved a price since this one last did: without this, each process would show its
        own path and the stored price would flip between them. A walk whose shown price already
        matches keeps its sub-cent level. Replayed symbols follow the recording instead.
        """
        closes = previous_closes or {}
        for symbol, stored in prices.items():
            price = parse_price(stored)
            if price is None or symbol in self._bars:
                continue
            price = price.quantize(CENT, ROUND_HALF_EVEN)
            start = (parse_price(closes.get(symbol)) or price).quantize(CENT, ROUND_HALF_EVEN)
            walk = self._walks.get(symbol)
            if walk is None:
                walk = self._walks[symbol] = _Walk(random.Random(f"{self.seed}/{symbol}"), start)
                walk.level = price
            elif walk.price != price:
                walk.level = price
            walk.start = start
            walk.shown = True  # the stored price was shown already: the next fetch moves

    def export_state(self) -> dict[str, Any]:
        """Budget plus each replay's position, so another process plays on from the same bar."""
        return {**super().export_state(), "replay": dict(self._bar_index)}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Adopt a state saved by `export_state`."""
        super().restore_state(state)
        replay = state.get("replay") or {}
        self._bar_index = {s: int(i) for s, i in replay.items() if s in self._bars}

    def _fetch_round(self, symbols: list[str], collected: _Round) -> None:
        now = self._now()
        for symbol in symbols:
            bars = self._bars.get(symbol)
            if bars is not None:
                index = self._bar_index.get(symbol, -1) + 1
                if index >= len(bars):
                    index = 0
                self._bar_index[symbol] = index
                price = max(CENT, _cents(bars.close[index]))
                collected.add(Quote(symbol, price, _cents(bars.open[0]), now))
                continue
            walk = self._walk(symbol)
            if walk.shown:
                walk.step(self.volatility, self.mean_reversion)
            walk.shown = True
            collected.add(Quote(symbol, walk.price, walk.start, now))
