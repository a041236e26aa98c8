"""The matching loop of `match()`, the database path's engine.

`match()` hands the loop *entries*: small lists laid out as

    [qty, order_id, account_id, price, seq, side_index]     side_index: 0 bid, 1 ask

in price-time priority, read by constant index. The loop mutates `qty` (index 0) in place;
`match()` gives it throw-away copies of the caller's `RestingOrder`s, which are never changed.
`OrderBook` (book.py) runs the same rules in its own inlined copy of this loop over its
queues, and the property tests hold the two against each other and against a naive model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from trading.engine.orders import (
    BUY,
    FOK,
    REJECT_FOK_NOT_FILLABLE,
    RESTING_TIFS,
    SELL,
    Fill,
    IncomingOrder,
    MatchResult,
    RestingOrder,
    SelfTradeCancel,
    validate_order_fields,
)

Entry = list[Any]  # [qty, order_id, account_id, price, seq, side_index]
Event = tuple[Entry, int]  # (entry, qty taken from it)

# Stands in for "no account": it equals no stored account id, so an anonymous taker (None)
# never self-trade-cancels anonymous resting volume (replays seed the book with such volume).
NO_ACCOUNT = object()


def sweep(
    entries: Iterable[Entry],
    is_buy: bool,
    limit: int | None,
    qty: int,
    stp_key: object,
    fills: list[Event],
    cancels: list[Event],
) -> int:
    """Trade `qty` against `entries` (best first), appending events; return the qty left.

    Stops at the first entry whose price does not cross `limit` (None: take any price) and as
    soon as `qty` is filled, so a lazy `entries` is consumed no further than needed. Entries
    of the taker's own account (`stp_key`) are zeroed and appended to `cancels`; matching goes
    on past them. Entries already at zero are skipped. The event lists are the caller's.
    """
    for e in entries:
        if limit is not None and (e[3] > limit if is_buy else e[3] < limit):
            break
        avail = e[0]
        if not avail:
            continue
        if e[2] == stp_key:
            e[0] = 0
            cancels.append((e, avail))
            continue
        if avail < qty:
            e[0] = 0
            qty -= avail
            fills.append((e, avail))
        else:
            e[0] = avail - qty
            fills.append((e, qty))
            return 0
    return qty


def fok_lookahead(
    entries: Iterable[Entry], is_buy: bool, limit: int | None, qty: int, stp_key: object
) -> list[Entry] | None:
    """Buffer crossing entries until they can fill `qty`; None if they cannot.

    Own-account entries are buffered (the sweep will self-trade-cancel them on the way) but are
    not liquidity. Nothing is mutated here, so an unfillable FOK leaves the book untouched.
    """
    buffered: list[Entry] = []
    available = 0
    for e in entries:
        if limit is not None and (e[3] > limit if is_buy else e[3] < limit):
            break
        buffered.append(e)
        if e[2] != stp_key:
            available += e[0]
            if available >= qty:
                return buffered
    return None


def _entries_from(opposite: Iterable[RestingOrder], maker_side: str) -> Iterator[Entry]:
    """Copy resting orders into entries lazily, checking side and priority order on the way."""
    side_index = 0 if maker_side == BUY else 1
    last_price: int | None = None
    last_seq = 0
    for r in opposite:
        if r.side != maker_side:
            raise ValueError(f"resting order {r.order_id!r} is not on the {maker_side} side")
        if type(r.qty) is not int or r.qty < 0:
            # A negative remainder would make the loop hand lots back to the taker.
            raise ValueError(f"resting order {r.order_id!r} has qty {r.qty!r}")
        # A mis-sorted query would silently break price-time priority: refuse it instead.
        if last_price is not None:
            if r.price == last_price:
                if r.seq <= last_seq:
                    raise ValueError(f"resting orders at {r.price} are not in seq order")
            elif (r.price > last_price) if side_index == 0 else (r.price < last_price):
                raise ValueError("resting orders are not sorted best price first")
        last_price, last_seq = r.price, r.seq
        yield [r.qty, r.order_id, r.account_id, r.price, r.seq, side_index]


def build_result(
    order_id: object,
    account_id: object,
    qty: int,
    remaining: int,
    rests: bool,
    fills: list[Event],
    cancels: list[Event],
) -> MatchResult:
    """Turn sweep events into a MatchResult (level changes are left to the caller)."""
    maker_remaining = {}
    fill_objs = []
    for e, taken in fills:
        fill_objs.append(Fill(e[1], order_id, e[2], account_id, e[3], taken))
        maker_remaining[e[1]] = e[0]
    cancel_objs = []
    for e, taken in cancels:
        cancel_objs.append(SelfTradeCancel(e[1], taken))
        maker_remaining[e[1]] = 0
    return MatchResult(
        order_id=order_id,
        fills=fill_objs,
        self_trade_cancels=cancel_objs,
        maker_remaining=maker_remaining,
        remaining=remaining,
        filled=qty - remaining,
        rests=rests,
    )


def match(incoming: IncomingOrder, opposite: Iterable[RestingOrder]) -> MatchResult:
    """Match `incoming` against the crossing resting orders of the other side.

    `opposite` must hold every resting order that could cross, best price first then seq
    ascending; it is read lazily and only as far as needed (a FOK reads ahead until it knows
    it can fill). The `RestingOrder`s are not modified: `maker_remaining` says what is left.
    """
    side, price, qty, tif = incoming.side, incoming.price, incoming.qty, incoming.tif
    validate_order_fields(side, price, qty, tif)
    is_buy = side == BUY
    stp_key = incoming.account_id if incoming.account_id is not None else NO_ACCOUNT
    entries: Iterable[Entry] = _entries_from(opposite, SELL if is_buy else BUY)
    if tif == FOK:
        buffered = fok_lookahead(entries, is_buy, price, qty, stp_key)
        if buffered is None:
            return MatchResult(
                order_id=incoming.order_id, remaining=qty, rejected=REJECT_FOK_NOT_FILLABLE
            )
        entries = buffered
    fills: list[Event] = []
    cancels: list[Event] = []
    remaining = sweep(entries, is_buy, price, qty, stp_key, fills, cancels)
    rests = bool(remaining) and price is not None and tif in RESTING_TIFS
    return build_result(
        incoming.order_id, incoming.account_id, qty, remaining, rests, fills, cancels
    )
