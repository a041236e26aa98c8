"""An in-memory limit order book on the shared matching loop, for replays and benchmarks."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator
from typing import Any, Literal, overload

from trading.engine.core import NO_ACCOUNT, Entry, Event, build_result, fok_lookahead, sweep
from trading.engine.orders import (
    BUY,
    FOK,
    GTC,
    REJECT_FOK_NOT_FILLABLE,
    RESTING_TIFS,
    SELL,
    TIMES_IN_FORCE,
    IncomingOrder,
    MatchResult,
    OrderId,
    RestingOrder,
    validate_order_fields,
)

# Layout (see core.py): entry = [qty, order_id, account_id, price, seq, side_index];
# level = [total_qty, deque of entries]. Side index 0 is bids, 1 is asks.
Level = list[Any]
_SIDE_NAMES = (BUY, SELL)


class OrderBook:
    """One instrument's book: price levels of FIFO queues, matched by `core.sweep`.

    Each side keeps a dict price -> level and an ascending list of its level *keys* (the
    price for bids, minus the price for asks), so the best level is always the last key:
    reading it, popping it after a sweep and walking best-first are all cheap, and a level
    that empties anywhere is removed at once (bisect + one C memmove), so every listed level
    is live and depth never wades through dead prices. Cancelled entries are zeroed in place
    (lazy deletion) and skipped by the matching loop until their queue reaches them.
    """

    __slots__ = ("_keys", "_levels", "_orders", "_seq")

    def __init__(self) -> None:
        self._levels: tuple[dict[int, Level], dict[int, Level]] = ({}, {})
        self._keys: tuple[list[int], list[int]] = ([], [])
        self._orders: dict[OrderId, Entry] = {}
        self._seq = 0

    # ------------------------------------------------------------------ order entry
    def submit(self, incoming: IncomingOrder) -> MatchResult:
        """Match `incoming`, rest what its time in force allows, and report everything."""
        return self.place(
            incoming.order_id,
            incoming.account_id,
            incoming.side,
            incoming.price,
            incoming.qty,
            incoming.tif,
            True,
        )

    @overload
    def place(
        self,
        order_id: OrderId,
        account_id: object,
        side: str,
        price: int | None,
        qty: int,
        tif: str = GTC,
        _report: Literal[False] = False,
    ) -> int: ...
    @overload
    def place(
        self,
        order_id: OrderId,
        account_id: object,
        side: str,
        price: int | None,
        qty: int,
        tif: str,
        _report: Literal[True],
    ) -> MatchResult: ...
    def place(
        self,
        order_id: OrderId,
        account_id: object,
        side: str,
        price: int | None,
        qty: int,
        tif: str = GTC,
        _report: bool = False,
    ) -> int | MatchResult:
        """Same as `submit` from plain arguments, building no result objects; returns qty filled.

        For replays and benchmarks, where nobody reads fills: matching, self-trade prevention
        and book updates are exactly those of `submit`, which calls this with `_report` set
        (and then gets a MatchResult back). One body on purpose: a wrapper call per order
        costs more than a sixth of the benchmark, so the common paths are written out inline.
        """
        all_keys = self._keys
        # Every listed level is live, so one comparison with the best opposite level tells
        # whether any matching can happen: most orders do not cross and skip the loop.
        if side == BUY:
            s = 0
            opp_keys = all_keys[1]
            crosses = opp_keys and (price is None or -opp_keys[-1] <= price)
        elif side == SELL:
            s = 1
            opp_keys = all_keys[0]
            crosses = opp_keys and (price is None or opp_keys[-1] >= price)
        else:
            raise ValueError(f"side must be {BUY!r} or {SELL!r}, not {side!r}")
        # Cheap shape checks inline; the full validation only runs to produce the error.
        # (The time in force is checked where it is used: unknown ones fall through to it.)
        if (
            type(qty) is not int
            or qty <= 0
            or (price is not None and (type(price) is not int or price <= 0))
        ):
            validate_order_fields(side, price, qty, tif)
        orders = self._orders
        if order_id in orders:
            raise ValueError(f"order id {order_id!r} is already on the book")

        if not crosses:
            if price is not None and tif in RESTING_TIFS:
                # The common case of a real book: a limit order joins the back of its level.
                levels = self._levels[s]
                level = levels.get(price)
                if level is None:
                    level = levels[price] = [0, deque()]
                    insort(all_keys[s], price if s == 0 else -price)
                self._seq = seq = self._seq + 1
                entry = [qty, order_id, account_id, price, seq, s]
                level[1].append(entry)
                level[0] += qty
                orders[order_id] = entry
                if not _report:
                    return 0
                # Positional: keyword arguments cost this call three fifths more.
                return MatchResult(
                    order_id, None, None, None, qty, 0, True, None, [(side, price, level[0])]
                )
            if tif == FOK:
                return self._fok_rejected(order_id, qty, _report)
            if tif not in TIMES_IN_FORCE:
                validate_order_fields(side, price, qty, tif)
            # IOC, or a market order of any time in force, with nothing to trade against.
            if not _report:
                return 0
            return MatchResult(order_id, None, None, None, qty)

        if tif not in TIMES_IN_FORCE:
            validate_order_fields(side, price, qty, tif)
        o = 1 - s
        stp_key = account_id if account_id is not None else NO_ACCOUNT
        # A FOK first looks ahead without touching anything; once it knows it can fill, the
        # ordinary sweep below does exactly what it would have done.
        if tif == FOK and fok_lookahead(self._walk(o), s == 0, price, qty, stp_key) is None:
            return self._fok_rejected(order_id, qty, _report)
        fills: list[Event] = []
        cancels: list[Event] = []
        opp_levels = self._levels[o]
        remaining = qty
        # Level by level, best first: each level's queue goes through the shared sweep with no
        # price limit (the level's price is checked here once, not once per order).
        while True:
            key = opp_keys[-1]
            level_price = -key if o else key
            level = opp_levels[level_price]
            n_cancels = len(cancels)
            left = sweep(level[1], s == 0, None, remaining, stp_key, fills, cancels)
            if not left:
                # Filled inside this level: it keeps whatever the sweep did not take.
                taken = remaining
                if len(cancels) > n_cancels:
                    for i in range(n_cancels, len(cancels)):
                        taken += cancels[i][1]
                remaining = 0
                level[0] -= taken
                if level[0]:
                    # Drop the filled orders at the head now rather than skip them later.
                    queue = level[1]
                    while not queue[0][0]:
                        queue.popleft()
                    break
            else:
                remaining = left
            # Every order at this level is now filled or cancelled: drop the level.
            opp_keys.pop()
            del opp_levels[level_price]
            if not remaining or not opp_keys:
                break
            if price is not None and (opp_keys[-1] < price if s else -opp_keys[-1] > price):
                break
        for e, _ in fills:
            if not e[0]:
                del orders[e[1]]
        for e, _ in cancels:
            del orders[e[1]]

        rests = False
        if remaining and price is not None and tif in RESTING_TIFS:
            levels = self._levels[s]
            level = levels.get(price)
            if level is None:
                level = levels[price] = [0, deque()]
                insort(all_keys[s], price if s == 0 else -price)
            self._seq = seq = self._seq + 1
            entry = [remaining, order_id, account_id, price, seq, s]
            level[1].append(entry)
            level[0] += remaining
            orders[order_id] = entry
            rests = True

        if not _report:
            return qty - remaining
        return self._report(order_id, account_id, s, price, qty, remaining, rests, fills, cancels)

    def _fok_rejected(self, order_id: OrderId, qty: int, report: bool) -> int | MatchResult:
        """The answer to a FOK that cannot fill: nothing happened."""
        if report:
            return MatchResult(order_id=order_id, remaining=qty, rejected=REJECT_FOK_NOT_FILLABLE)
        return 0

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
        result = build_result(order_id, account_id, qty, remaining, rests, fills, cancels)
        opp_levels = self._levels[1 - s]
        opp_name = _SIDE_NAMES[1 - s]
        seen = set()
        for e, _ in fills + cancels:
            p = e[3]
            if p not in seen:
                seen.add(p)
                level = opp_levels.get(p)
                result.level_changes.append((opp_name, p, level[0] if level else 0))
        if rests and price is not None:  # only a limit order rests
            result.level_changes.append((_SIDE_NAMES[s], price, self._levels[s][price][0]))
        return result

    def _walk(self, s: int) -> Iterator[Entry]:
        """Yield side `s`'s entries best price first, FIFO within a price, changing nothing.

        Nothing is mutated, so a FOK can look ahead and give up leaving the book as it was.
        """
        levels = self._levels[s]
        for key in reversed(self._keys[s]):
            yield from levels[key if s == 0 else -key][1]

    def _drop_level(self, s: int, price: int) -> None:
        """Remove an emptied level of side `s`."""
        keys = self._keys[s]
        del keys[bisect_left(keys, price if s == 0 else -price)]
        del self._levels[s][price]

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
            level = levels[price] = [0, deque()]
            insort(self._keys[s], price if s == 0 else -price)
        entry = [order.qty, order.order_id, order.account_id, price, order.seq, s]
        queue = level[1]
        if queue and queue[-1][4] > order.seq:
            # Rare (replays adding out of order): find its place so time priority holds.
            pos = len(queue)
            while pos and queue[pos - 1][4] > order.seq:
                pos -= 1
            queue.insert(pos, entry)
        else:
            queue.append(entry)
        level[0] += order.qty
        self._orders[order.order_id] = entry
        if order.seq > self._seq:
            self._seq = order.seq

    def cancel(self, order_id: OrderId) -> bool:
        """Remove a resting order; False (and no change) if unknown or already filled."""
        e = self._orders.pop(order_id, None)
        if e is None:
            return False
        s = e[5]
        level = self._levels[s][e[3]]
        level[0] -= e[0]
        # Zero in place: the queue drops it when it reaches the head (lazy deletion).
        e[0] = 0
        if not level[0]:
            # Its queue holds only zeroed entries now: the whole level goes.
            self._drop_level(s, e[3])
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
        self._levels[e[5]][e[3]][0] -= qty
        return qty

    # ----------------------------------------------------------------------- reads
    def get(self, order_id: OrderId) -> RestingOrder | None:
        """The resting order with this id (a snapshot), or None."""
        e = self._orders.get(order_id)
        if e is None:
            return None
        return RestingOrder(e[1], e[2], _SIDE_NAMES[e[5]], e[3], e[0], e[4])

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
        keys = self._keys[0]
        return keys[-1] if keys else None

    def best_ask(self) -> int | None:
        """Lowest ask price, or None."""
        keys = self._keys[1]
        return -keys[-1] if keys else None

    def volume(self, side: str) -> int:
        """Total resting lots on one side."""
        return sum(level[0] for level in self._levels[_side_index(side)].values())

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
            yield price, levels[price][0]

    def depth(self, n: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """The best `n` levels of each side as (bids, asks) lists of (price, total lots)."""
        bid_levels, ask_levels = self._levels
        bid_keys, ask_keys = self._keys
        top_bids = bid_keys[: -n - 1 : -1] if n > 0 else []
        top_asks = ask_keys[: -n - 1 : -1] if n > 0 else []
        return (
            [(p, bid_levels[p][0]) for p in top_bids],
            [(-k, ask_levels[-k][0]) for k in top_asks],
        )

    def level_total(self, side: str, price: int) -> int:
        """Total resting lots at one price (0 if none)."""
        level = self._levels[_side_index(side)].get(price)
        return level[0] if level else 0

    def orders_at(self, side: str, price: int) -> list[RestingOrder]:
        """Resting orders at one price in time priority (snapshots)."""
        level = self._levels[_side_index(side)].get(price)
        if not level:
            return []
        name = _SIDE_NAMES[_side_index(side)]
        return [RestingOrder(e[1], e[2], name, e[3], e[0], e[4]) for e in level[1] if e[0]]

    def resting(self, side: str) -> Iterator[RestingOrder]:
        """Yield one side's resting orders in priority order, lazily (feeds `match()`)."""
        name = _SIDE_NAMES[_side_index(side)]
        for e in self._walk(_side_index(side)):
            if e[0]:
                yield RestingOrder(e[1], e[2], name, e[3], e[0], e[4])


def _side_index(side: str) -> int:
    """0 for bids, 1 for asks; ValueError otherwise."""
    if side == BUY:
        return 0
    if side == SELL:
        return 1
    raise ValueError(f"side must be {BUY!r} or {SELL!r}, not {side!r}")
