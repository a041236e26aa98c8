"""Who hears of reference prices that moved, without marketdata importing them: a port.

The trading app's price alerts watch reference prices of stocks not traded here; it plugs its
listener in when the apps are ready (`TradingConfig.ready`). The pull calls `moved()` after its
round commits, with every stock whose reference price changed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

Listener = Callable[[dict[int, Decimal]], None]

_listeners: list[Listener] = []


def register(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def moved(prices: dict[int, Decimal]) -> None:
    """{stock id: new reference price}, after the commit that stored them."""
    if not prices:
        return
    for listener in _listeners:
        listener(prices)
