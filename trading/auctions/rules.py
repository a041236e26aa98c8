"""The auction's price rules, pure: the increment ladder, the lowest next bid, the leader's
standing price under proxy bidding, and the soft close.

Standard library only (its own import contract): no Django, no app, no clock. Prices are
Decimals on the stock's tick; times are whatever aware datetimes the caller passes (the
services pass the server's clock, read under the auction's lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

# Increments by the current price per share, like the ladders of auction sites (then rounded
# up to the stock's tick): (below this price, the increment).
LADDER: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal("1"), Decimal("0.01")),
    (Decimal("10"), Decimal("0.05")),
    (Decimal("50"), Decimal("0.10")),
    (Decimal("100"), Decimal("0.25")),
    (Decimal("500"), Decimal("0.50")),
    (Decimal("1000"), Decimal("1.00")),
)
TOP_INCREMENT = Decimal("2.50")


@dataclass(frozen=True)
class Terms:
    """What an auction's prices follow: the stock's tick, the opening price, the hidden
    reserve, and a fixed step (None: the ladder)."""

    tick: Decimal
    start_price: Decimal
    reserve_price: Decimal
    fixed_increment: Decimal | None = None


def increment_at(terms: Terms, price: Decimal) -> Decimal:
    """The step a bid must rise by from `price`: the fixed step or the ladder's, rounded up to
    the tick, and never less than one tick."""
    tick = terms.tick
    if terms.fixed_increment:
        step = terms.fixed_increment
    else:
        step = next((inc for below, inc in LADDER if price < below), TOP_INCREMENT)
    return max(tick, (step / tick).to_integral_value(rounding=ROUND_CEILING) * tick)


def min_next_bid(terms: Terms, current_price: Decimal | None) -> Decimal:
    """The lowest maximum a new bidder may state: the opening price before any bid, then one
    increment over the current price."""
    if current_price is None:
        return terms.start_price
    return current_price + increment_at(terms, current_price)


def standing(terms: Terms, runner_up_max: Decimal | None, leader_max: Decimal) -> Decimal:
    """The leader's displayed price: one increment over the runner-up's maximum, capped at the
    leader's own maximum, at least the opening price, and at least the reserve when the
    leader's maximum reaches it."""
    price = terms.start_price
    if runner_up_max is not None:
        price = max(price, runner_up_max + increment_at(terms, runner_up_max))
    if leader_max >= terms.reserve_price:
        price = max(price, terms.reserve_price)
    return min(price, leader_max)


def takes_lead(new_max: Decimal, leader_max: Decimal | None) -> bool:
    """Whether a new bidder's maximum beats the standing leader's: ties go to the earlier
    maximum, so only a strictly higher one leads."""
    return leader_max is None or new_max > leader_max


@dataclass(frozen=True)
class SoftClose:
    """A bid in the last `window` moves the end to the bid's time + `window`, never past the
    original end + `max_extension` in all."""

    window: timedelta
    max_extension: timedelta


def soft_close_end(
    rule: SoftClose, *, now: datetime, ends_at: datetime, original_ends_at: datetime
) -> datetime | None:
    """The auction's new end after an accepted bid at `now`, or None when the end stays."""
    if not rule.window or ends_at - now > rule.window:
        return None
    new_end = min(now + rule.window, original_ends_at + rule.max_extension)
    return new_end if new_end > ends_at else None
