"""An in-memory limit order book for replays and benchmarks.

This file is the engine's deliberately inlined hot path. `place()` (no report) writes out the
resting of a limit order once per side and its own copy of the matching loop; `_take()`
(behind `submit()`, with a full report) has a second copy that records every event. Both
follow the rules of `core.sweep`, which serves `match()`. On this path one more call,
attribute read or subscript per order is a measurable share of the benchmark
(`bench/engine_stream.py`), hence the repetition. The property tests hold `place()`,
`submit()` and `match()` against a naive model and against each other on random order flow.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator
from typing import Any

from trading.engine.core import NO_ACCOUNT, Event
from trading.engine.orders import (
    BUY,
    DAY,
    FOK,
    GTC,
    REJECT_FOK_NOT_FILLABLE,
    RESTING_TIFS,
    SELL,
    TIMES_IN_FORCE,
    Fill,
    IncomingOrder,
    MatchResult,
    OrderId,
    RestingOrder,
    SelfTradeCancel,
    validate_order_fields,
)

# A book entry is a small list, [qty, order_id, account_id, level, seq]: a list display is
# the cheapest thing to build per resting order, and the hot loops read fields by constant
# index. `qty` (index 0) is the remaining lots, zeroed in place when the order is cancelled
# (lazy deletion: its queue drops it when it reaches the head); `level` is the price level
# the entry queues in, so a cancel finds its level with no lookup.
Entry = list[Any]
_SIDE_NAMES = (BUY, SELL)
# The cached best price of an empty side: prices are positive ints, so no buy crosses an
# empty ask side (inf) and no sell an empty bid side (0).
_NO_BID = 0
_NO_ASK = math.inf


class Level(deque[Entry]):
    """One price level: the FIFO queue of its entries, with its price, side and total lots."""

    __slots__ = ("price", "side", "total")
    # Set by OrderBook._new_level: a Python __init__ would triple what a new level costs.
    price: int
    side: int  # 0 bids, 1 asks
    total: int  # live lots in the queue: 0 exactly when every entry is dead


class OrderBook:
    """One instrument's book: price levels of FIFO queues, price-time priority.

    Each side keeps a dict price -> `Level` and an ascending list of its level *keys* (the
    price for bids, minus the price for asks), so the best level is always the last key:
    reading it, popping it after a sweep and walking best-first are all cheap, and a level
    that empties anywhere is removed at once (bisect + one C memmove), so every listed level
    is live. The best price of each side is also cached in an attribute, so whether an
    incoming limit crosses is one comparison.
    """

    __slots__ = (
        "_ask_keys",
        "_asks",
        "_best_ask",
        "_best_bid",
        "_bid_keys",
        "_bids",
        "_keys",
        "_levels",
        "_orders",
        "_seq",
    )

    def __init__(self) -> None:
        self._bids: dict[int, Level] = {}
        self._asks: dict[int, Level] = {}
        self._bid_keys: list[int] = []
        self._ask_keys: list[int] = []
        # The same dicts and lists indexed by side (0 bids, 1 asks), for the colder paths.
        self._levels = (self._bids, self._asks)
        self._keys = (self._bid_keys, self._ask_keys)
        # The best price of each side, cached from the keys: what an incoming order is
        # compared with. An empty side holds a price no order crosses.
        self._best_bid: int = _NO_BID
        self._best_ask: float = _NO_ASK
        self._orders: dict[OrderId, Entry] = {}
        self._seq = 0

    # ------------------------------------------------------------------ order entry
    def submit(self, incoming: IncomingOrder) -> MatchResult:
        """Match `incoming`, rest what its time in force allows, and report everything."""
        side, price, qty, tif = incoming.side, incoming.price, incoming.qty, incoming.tif
        validate_order_fields(side, price, qty, tif)
        s = 0 if side == BUY else 1
        return self._take(incoming.order_id, incoming.account_id, s, price, qty, tif)

    def place(
        self,
        order_id: OrderId,
        account_id: object,
        side: str,
        price: int | None,
        qty: int,
        tif: str = GTC,
    ) -> int:
        """Same as `submit` from plain arguments, building no result objects; returns qty filled.

        For replays and benchmarks, where nobody reads fills: validation, matching,
        self-trade prevention and book updates are those of `submit` (`_take`), written out
        here without the bookkeeping of a report.
        """
        # Cheap shape checks inline; the full validation only runs to produce the error.
        # (The time in force is checked where it is used.)
        if price is not None:
            if type(price) is not int or price <= 0 or type(qty) is not int or qty <= 0:
                validate_order_fields(side, price, qty, tif)
            # The common case of a real book: a GTC or DAY limit that does not cross joins
            # the back of its level, written out once per side. The cached best opposite
            # price says whether it crosses (every listed level is live).
            if side == BUY:
                if price < self._best_ask and (tif == GTC or tif == DAY):  # noqa: SIM109
                    orders = self._orders
                    if order_id in orders:
                        raise ValueError(f"order id {order_id!r} is already on the book")
                    level = self._bids.get(price)
                    if level is None:
                        level = self._new_level(0, price)
                    self._seq = seq = self._seq + 1
                    entry = [qty, order_id, account_id, level, seq]
                    level.append(entry)
                    level.total += qty
                    orders[order_id] = entry
                    return 0
                s = 0
            elif side == SELL:
                if price > self._best_bid and (tif == GTC or tif == DAY):  # noqa: SIM109
                    orders = self._orders
                    if order_id in orders:
                        raise ValueError(f"order id {order_id!r} is already on the book")
                    level = self._asks.get(price)
                    if level is None:
                        level = self._new_level(1, price)
                    self._seq = seq = self._seq + 1
                    entry = [qty, order_id, account_id, level, seq]
                    level.append(entry)
                    level.total += qty
                    orders[order_id] = entry
                    return 0
                s = 1
            else:
                raise ValueError(f"side must be {BUY!r} or {SELL!r}, not {side!r}")
        else:
            if type(qty) is not int or qty <= 0:
                validate_order_fields(side, price, qty, tif)
            if side == BUY:
                s = 0
            elif side == SELL:
                s = 1
            else:
                raise ValueError(f"side must be {BUY!r} or {SELL!r}, not {side!r}")

        # A market order, an IOC or FOK, or a limit that crosses: `_take` without a report.
        if tif != GTC and tif not in TIMES_IN_FORCE:
            validate_order_fields(side, price, qty, tif)
        orders = self._orders
        if order_id in orders:
            raise ValueError(f"order id {order_id!r} is already on the book")
        o = 1 - s
        opp_keys = self._keys[o]
        if not opp_keys or (
            price is not None and (self._best_ask > price if o else self._best_bid < price)
        ):
            if price is not None and tif in RESTING_TIFS:
                self._rest(order_id, account_id, s, price, qty)
            return 0
        stp_key = account_id if account_id is not None else NO_ACCOUNT
        if tif == FOK and not self._fillable(o, price, qty, stp_key):
            return 0
        opp_levels = self._levels[o]
        remaining = qty
        while True:
            key = opp_keys[-1]
            level = opp_levels[-key if o else key]
            before = remaining
            # Entries leave the queue as they fill or are cancelled, and nothing else holds
            # them once out of `orders`, so they are not zeroed.
            while level:
                e = level.popleft()
                avail = e[0]
                if not avail:
                    continue
                if e[2] == stp_key:
                    level.total -= avail
                    del orders[e[1]]
                elif avail <= remaining:
                    remaining -= avail
                    del orders[e[1]]
                    if not remaining:
                        break
                else:
                    e[0] = avail - remaining
                    level.appendleft(e)
                    remaining = 0
                    break
            level.total -= before - remaining
            if level.total:
                break
            opp_keys.pop()
            del opp_levels[level.price]
            if level:
                level.clear()  # dead entries point back at their level: leave no cycle
            if not remaining or not opp_keys:
                break
            if price is not None and (-opp_keys[-1] > price if o else opp_keys[-1] < price):
                break
        if o:
            self._best_ask = -opp_keys[-1] if opp_keys else _NO_ASK
        else:
            self._best_bid = opp_keys[-1] if opp_keys else _NO_BID
        if remaining and price is not None and tif in RESTING_TIFS:
            self._rest(order_id, account_id, s, price, remaining)
        return qty - remaining

    def _take(
        self,
        order_id: OrderId,
        account_id: object,
        s: int,
        price: int | None,
        qty: int,
        tif: str,
    ) -> MatchResult:
        """Match a valid order of side `s` (0 buy, 1 sell), rest what its time in force
        allows, and report every fill, cancel and level change."""
        orders = self._orders
        if order_id in orders:
            raise ValueError(f"order id {order_id!r} is already on the book")
        o = 1 - s
        opp_keys = self._keys[o]
        if not opp_keys or (
            price is not None and (self._best_ask > price if o else self._best_bid < price)
        ):
            # Nothing to trade against: a limit rests, an IOC, a FOK or a market order ends.
            if price is not None and tif in RESTING_TIFS:
                level = self._rest(order_id, account_id, s, price, qty)
                changes = [(_SIDE_NAMES[s], price, level.total)]
                # Positional: keyword arguments cost this call three fifths more.
                return MatchResult(order_id, None, None, None, qty, 0, True, None, changes)
            if tif == FOK:
                return _fok_rejected(order_id, qty)
            return MatchResult(order_id, None, None, None, qty)

        stp_key = account_id if account_id is not None else NO_ACCOUNT
        # A FOK first looks ahead without touching anything; once it knows it can fill, the
        # ordinary sweep below does exactly what it would have done.
        if tif == FOK and not self._fillable(o, price, qty, stp_key):
            return _fok_rejected(order_id, qty)
        fills: list[Event] = []
        cancels: list[Event] = []
        opp_levels = self._levels[o]
        remaining = qty
        # Level by level, best first; the level's price is checked once, not once per order.
        # The rules of core.sweep: own-account entries are cancelled and matching goes on
        # past them; zeroed (cancelled) entries are dropped as the queue reaches them.
        while True:
            key = opp_keys[-1]
            level = opp_levels[-key if o else key]
            taken = 0  # lots leaving this level: fills and self-trade cancels
            while level:
                e = level.popleft()
                avail = e[0]
                if not avail:
                    continue
                if e[2] == stp_key:
                    e[0] = 0
                    taken += avail
                    del orders[e[1]]
                    cancels.append((e, avail))
                elif avail <= remaining:
                    e[0] = 0
                    taken += avail
                    remaining -= avail
                    del orders[e[1]]
                    fills.append((e, avail))
                    if not remaining:
                        break
                else:
                    # Filled inside this order: it keeps its place at the head.
                    e[0] = avail - remaining
                    taken += remaining
                    level.appendleft(e)
                    fills.append((e, remaining))
                    remaining = 0
                    break
            level.total -= taken
            if level.total:
                break
            # Every order at this level is now filled or cancelled: drop the level.
            opp_keys.pop()
            del opp_levels[level.price]
            if level:
                level.clear()  # dead entries point back at their level: leave no cycle
            if not remaining or not opp_keys:
                break
            if price is not None and (-opp_keys[-1] > price if o else opp_keys[-1] < price):
                break
        if o:
            self._best_ask = -opp_keys[-1] if opp_keys else _NO_ASK
        else:
            self._best_bid = opp_keys[-1] if opp_keys else _NO_BID

        rests = bool(remaining) and price is not None and tif in RESTING_TIFS
        if rests:
            assert price is not None
            self._rest(order_id, account_id, s, price, remaining)
        return self._report(order_id, account_id, s, price, qty, remaining, rests, fills, cancels)

    def _rest(self, order_id: OrderId, account_id: object, s: int, price: int, qty: int) -> Level:
        """Queue a new entry at the back of its level on side `s`; return the level."""
        level = self._levels[s].get(price)
        if level is None:
            level = self._new_level(s, price)
        self._seq = seq = self._seq + 1
        entry = [qty, order_id, account_id, level, seq]
        level.append(entry)
        level.total += qty
        self._orders[order_id] = entry
        return level

    def _new_level(self, s: int, price: int) -> Level:
        """Create and list an empty level on side `s`, keeping the cached best price."""
        level = self._levels[s][price] = Level()
        level.price = price
        level.side = s
        level.total = 0
        keys = self._keys[s]
        if s == 0:
            insort(keys, price)
            self._best_bid = keys[-1]
        else:
            insort(keys, -price)
            self._best_ask = -keys[-1]
        return level

    def _fillable(self, o: int, price: int | None, qty: int, stp_key: object) -> bool:
        """True if side `o`'s crossing entries, own-account ones aside, hold `qty` lots.

        Nothing is mutated, so a FOK that cannot fill leaves the book as it was.
        """
        levels = self._levels[o]
        available = 0
        for key in reversed(self._keys[o]):
            level_price = -key if o else key
            if price is not None and (level_price > price if o else level_price < price):
                break
            for e in levels[level_price]:
                if e[2] != stp_key:
                    available += e[0]
            if available >= qty:
                return True
        return False

    def _report(
        self,
        order_id: OrderId,
        account_id: object,
        s: int,
        price: int | None,
        qty: int,
        remaining: int,
        rests: bool,
        fills: list[Event],
        cancels: list[Event],
    ) -> MatchResult:
        """Build the MatchResult of a `place` that traded, with every touched level's new total."""
        maker_remaining = {}
        fill_objs = []
        for e, taken in fills:
            fill_objs.append(Fill(e[1], order_id, e[2], account_id, e[3].price, taken))
            maker_remaining[e[1]] = e[0]
        cancel_objs = []
        for e, taken in cancels:
            cancel_objs.append(SelfTradeCancel(e[1], taken))
            maker_remaining[e[1]] = 0
        level_changes = []
        opp_name = _SIDE_NAMES[1 - s]
        seen = set()
        for e, _ in fills + cancels:
            level = e[3]
            if level.price not in seen:
                seen.add(level.price)
                # A dropped level kept its total at 0; no opposite level reappears meanwhile.
                level_changes.append((opp_name, level.price, level.total))
        if rests and price is not None:  # only a limit order rests
            level_changes.append((_SIDE_NAMES[s], price, self._levels[s][price].total))
        return MatchResult(
            order_id,
            fill_objs,
            cancel_objs,
            maker_remaining,
            remaining,
            qty - remaining,
            rests,
            None,
            level_changes,
        )

    def _walk(self, s: int) -> Iterator[Entry]:
        """Yield side `s`'s entries best price first, FIFO within a price, changing nothing."""
        levels = self._levels[s]
        for key in reversed(self._keys[s]):
            yield from levels[key if s == 0 else -key]

    def _drop_level(self, level: Level) -> None:
        """Remove an emptied level from its side, keeping the cached best price."""
        s, price = level.side, level.price
        keys = self._keys[s]
        del keys[bisect_left(keys, price if s == 0 else -price)]
        del self._levels[s][price]
        level.clear()  # dead entries point back at their level: leave no cycle
        if s == 0:
            self._best_bid = keys[-1] if keys else _NO_BID
        else:
            self._best_ask = -keys[-1] if keys else _NO_ASK

    # ------------------------------------------------------------ book maintenance
    def add(self, order: RestingOrder) -> None:
        """Rest `order` without matching (replays); it queues by its `seq` at its price."""
        validate_order_fields(order.side, order.price, order.qty, GTC)
        if order.order_id in self._orders:
            raise ValueError(f"order id {order.order_id!r} is already on the book")
        s = 0 if order.side == BUY else 1
        price = order.price
        levels = self._levels[s]
        level = levels.get(price)
        if level is None:
            level = self._new_level(s, price)
        entry = [order.qty, order.order_id, order.account_id, level, order.seq]
        if level and level[-1][4] > order.seq:
            # Rare (replays adding out of order): find its place so time priority holds.
            pos = len(level)
            while pos and level[pos - 1][4] > order.seq:
                pos -= 1
            level.insert(pos, entry)
        else:
            level.append(entry)
        level.total += order.qty
        self._orders[order.order_id] = entry
        if order.seq > self._seq:
            self._seq = order.seq

    def cancel(self, order_id: OrderId) -> bool:
        """Remove a resting order; False (and no change) if unknown or already filled."""
        e = self._orders.pop(order_id, None)
        if e is None:
            return False
        level = e[3]
        level.total -= e[0]
        # Zero in place: the queue drops it when it reaches the head (lazy deletion).
        e[0] = 0
        if not level.total:
            # Its queue holds only zeroed entries now: the whole level goes.
            self._drop_level(level)
        return True

    def reduce(self, order_id: OrderId, qty: int) -> int:
        """Take up to `qty` lots off a resting order, keeping its place; return lots removed."""
        if type(qty) is not int or qty <= 0:
            raise ValueError(f"qty must be a positive int, not {qty!r}")
        e = self._orders.get(order_id)
        if e is None:
            return 0
        if qty >= e[0]:
            removed: int = e[0]
            self.cancel(order_id)
            return removed
        e[0] -= qty
        e[3].total -= qty
        return qty

    # ----------------------------------------------------------------------- reads
    def get(self, order_id: OrderId) -> RestingOrder | None:
        """The resting order with this id (a snapshot), or None."""
        e = self._orders.get(order_id)
        if e is None:
            return None
        level = e[3]
        return RestingOrder(e[1], e[2], _SIDE_NAMES[level.side], level.price, e[0], e[4])

    @property
    def last_seq(self) -> int:
        """The highest seq given to or added on this book (0 when new)."""
        return self._seq

    def __contains__(self, order_id: OrderId) -> bool:
        """True if an order with this id is resting."""
        return order_id in self._orders

    def __len__(self) -> int:
        """Number of resting orders."""
        return len(self._orders)

    def best_bid(self) -> int | None:
        """Highest bid price, or None."""
        keys = self._bid_keys
        return keys[-1] if keys else None

    def best_ask(self) -> int | None:
        """Lowest ask price, or None."""
        keys = self._ask_keys
        return -keys[-1] if keys else None

    def volume(self, side: str) -> int:
        """Total resting lots on one side."""
        return sum(level.total for level in self._levels[_side_index(side)].values())

    def bid_volume(self) -> int:
        """Total resting lots on the bid side."""
        return self.volume(BUY)

    def ask_volume(self) -> int:
        """Total resting lots on the ask side."""
        return self.volume(SELL)

    def levels(self, side: str) -> Iterator[tuple[int, int]]:
        """Yield (price, total lots) of one side's levels, best first."""
        s = _side_index(side)
        levels = self._levels[s]
        for key in reversed(self._keys[s]):
            price = key if s == 0 else -key
            yield price, levels[price].total

    def depth(self, n: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """The best `n` levels of each side as (bids, asks) lists of (price, total lots)."""
        bids, asks = self._bids, self._asks
        top_bids = self._bid_keys[: -n - 1 : -1] if n > 0 else []
        top_asks = self._ask_keys[: -n - 1 : -1] if n > 0 else []
        return (
            [(p, bids[p].total) for p in top_bids],
            [(-k, asks[-k].total) for k in top_asks],
        )

    def level_total(self, side: str, price: int) -> int:
        """Total resting lots at one price (0 if none)."""
        level = self._levels[_side_index(side)].get(price)
        return level.total if level is not None else 0

    def orders_at(self, side: str, price: int) -> list[RestingOrder]:
        """Resting orders at one price in time priority (snapshots)."""
        s = _side_index(side)
        level = self._levels[s].get(price)
        if level is None:
            return []
        name = _SIDE_NAMES[s]
        return [RestingOrder(e[1], e[2], name, price, e[0], e[4]) for e in level if e[0]]

    def resting(self, side: str) -> Iterator[RestingOrder]:
        """Yield one side's resting orders in priority order, lazily (feeds `match()`)."""
        s = _side_index(side)
        name = _SIDE_NAMES[s]
        for e in self._walk(s):
            if e[0]:
                yield RestingOrder(e[1], e[2], name, e[3].price, e[0], e[4])


def _side_index(side: str) -> int:
    """0 for bids, 1 for asks; ValueError otherwise."""
    if side == BUY:
        return 0
    if side == SELL:
        return 1
    raise ValueError(f"side must be {BUY!r} or {SELL!r}, not {side!r}")


def _fok_rejected(order_id: OrderId, qty: int) -> MatchResult:
    """The answer to a FOK that cannot fill: nothing happened."""
    return MatchResult(order_id=order_id, remaining=qty, rejected=REJECT_FOK_NOT_FILLABLE)
