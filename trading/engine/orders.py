"""Plain data the engine takes and returns: orders, fills, cancellations, results."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import NamedTuple

BUY = "buy"
SELL = "sell"
SIDES = (BUY, SELL)

GTC = "gtc"
DAY = "day"
IOC = "ioc"
FOK = "fok"
TIMES_IN_FORCE = (GTC, DAY, IOC, FOK)

# Only these leave a remainder on the book; DAY differs from GTC only in that the clock outside
# the engine expires it at the session close.
RESTING_TIFS = frozenset((GTC, DAY))

REJECT_FOK_NOT_FILLABLE = "fok_not_fillable"

OrderId = Hashable
AccountId = Hashable


@dataclass(slots=True)
class RestingOrder:
    """An order on the book: `qty` is the remaining lots, `seq` orders arrivals at one price."""

    order_id: OrderId
    account_id: AccountId
    side: str
    price: int
    qty: int
    seq: int


@dataclass(slots=True)
class IncomingOrder:
    """An order arriving at the book; `price` None makes it a market order."""

    # Not frozen: a frozen dataclass costs five times as much to build, and replays build one
    # per message. The engine never changes it.

    order_id: OrderId
    account_id: AccountId
    side: str
    price: int | None
    qty: int
    tif: str = GTC

    @property
    def is_market(self) -> bool:
        """True for a market order (no limit price)."""
        return self.price is None


class Fill(NamedTuple):
    """One trade between a resting (maker) and the incoming (taker) order, at the maker's price."""

    maker_order_id: OrderId
    taker_order_id: OrderId
    maker_account_id: AccountId
    taker_account_id: AccountId
    price: int
    qty: int


class SelfTradeCancel(NamedTuple):
    """A resting order of the taker's own account, removed instead of trading with it."""

    order_id: OrderId
    qty: int


@dataclass(slots=True, init=False)
class MatchResult:
    """What one incoming order did: fills, self-trade cancels, and what is left of it."""

    order_id: OrderId
    fills: list[Fill]
    self_trade_cancels: list[SelfTradeCancel]
    # New remaining qty of every resting order touched (0 = fully filled or cancelled).
    maker_remaining: dict[OrderId, int]
    remaining: int
    filled: int
    rests: bool
    rejected: str | None
    # (side, price, new total at that level; 0 = level gone). Only OrderBook fills this in:
    # match() sees just the crossing orders it consumed, never whole levels.
    level_changes: list[tuple[str, int, int]]

    def __init__(
        self,
        order_id: OrderId,
        fills: list[Fill] | None = None,
        self_trade_cancels: list[SelfTradeCancel] | None = None,
        maker_remaining: dict[OrderId, int] | None = None,
        remaining: int = 0,
        filled: int = 0,
        rests: bool = False,
        rejected: str | None = None,
        level_changes: list[tuple[str, int, int]] | None = None,
    ) -> None:
        # Written by hand: dataclass default factories made this the costliest line of an
        # order that does not trade.
        self.order_id = order_id
        self.fills = [] if fills is None else fills
        self.self_trade_cancels = [] if self_trade_cancels is None else self_trade_cancels
        self.maker_remaining = {} if maker_remaining is None else maker_remaining
        self.remaining = remaining
        self.filled = filled
        self.rests = rests
        self.rejected = rejected
        self.level_changes = [] if level_changes is None else level_changes


def validate_order_fields(side: str, price: int | None, qty: int, tif: str) -> None:
    """Raise ValueError unless side, price, qty and time in force make a valid order."""
    if side != BUY and side != SELL:
        raise ValueError(f"side must be {BUY!r} or {SELL!r}, not {side!r}")
    if tif not in TIMES_IN_FORCE:
        raise ValueError(f"time in force must be one of {TIMES_IN_FORCE}, not {tif!r}")
    # bool is an int subclass; a True quantity is a bug upstream, not one lot.
    if type(qty) is not int or qty <= 0:
        raise ValueError(f"qty must be a positive int number of lots, not {qty!r}")
    if price is not None and (type(price) is not int or price <= 0):
        raise ValueError(f"price must be a positive int number of ticks or None, not {price!r}")
