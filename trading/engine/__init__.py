"""Pure-Python matching engine: integer ticks and lots, price-time priority, no Django.

`match()` serves the database order path (it gets the crossing resting orders from a query);
`OrderBook` keeps a whole book in memory for replays and benchmarks. Both apply the same rules:
`match()` through `core.sweep`, `OrderBook` through its own inlined copy of that loop (book.py
is the hot path); the property tests hold them against each other.
"""

from trading.engine.book import OrderBook
from trading.engine.core import match
from trading.engine.orders import (
    BUY,
    DAY,
    FOK,
    GTC,
    IOC,
    REJECT_FOK_NOT_FILLABLE,
    SELL,
    SIDES,
    TIMES_IN_FORCE,
    Fill,
    IncomingOrder,
    MatchResult,
    RestingOrder,
    SelfTradeCancel,
)

__all__ = [
    "BUY",
    "DAY",
    "FOK",
    "GTC",
    "IOC",
    "REJECT_FOK_NOT_FILLABLE",
    "SELL",
    "SIDES",
    "TIMES_IN_FORCE",
    "Fill",
    "IncomingOrder",
    "MatchResult",
    "OrderBook",
    "RestingOrder",
    "SelfTradeCancel",
    "match",
]
