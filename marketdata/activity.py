"""What the market-data app needs to know of trading, without importing it: a port.

`marketdata` sits below `trading` (trading imports it, never the reverse), yet the price pull
prices traded symbols first, and day figures and candles count our own trades. The trading app
plugs its implementation in when the apps are ready (`TradingConfig.ready`); without one
nothing has traded, and figures and candles come from reference prices alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class TradedRange:
    """One stock's trades over a period: price range, shares, count, first and last price."""

    high: Decimal
    low: Decimal
    volume: int
    trades: int
    open: Decimal | None = None  # the first and last price, when asked for
    close: Decimal | None = None
    auction_prints: int = 0  # of `trades`, how many were auction closes


class TradeActivity(Protocol):
    def symbols_traded(self, *, since: datetime) -> set[str]:
        """Symbols with open orders, or with trades since `since`."""
        ...

    def ranges(
        self, *, stock_ids: list[int], start: datetime, end: datetime | None, with_ends: bool = True
    ) -> dict:
        """{stock id: TradedRange} of the trades in [start, end) (end None: up to now)."""
        ...

    def bars(self, *, stock_id: int, interval: str, start: datetime, end: datetime) -> dict:
        """{bar start: TradedRange} of one stock's trades, per bar of `interval`."""
        ...


class _NoTrades:
    def symbols_traded(self, *, since: datetime) -> set[str]:
        return set()

    def ranges(
        self, *, stock_ids: list[int], start: datetime, end: datetime | None, with_ends: bool = True
    ) -> dict:
        return {}

    def bars(self, *, stock_id: int, interval: str, start: datetime, end: datetime) -> dict:
        return {}


_activity: TradeActivity = _NoTrades()


def register(activity: TradeActivity) -> None:
    """Plug in the trading app's reads (called once, from its AppConfig.ready)."""
    global _activity
    _activity = activity


def trade_activity() -> TradeActivity:
    return _activity
