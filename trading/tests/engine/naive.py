"""A deliberately naive order book: one flat list, re-sorted on every order.

Too slow for anything but tests, and written from the rules rather than from the engine, so
the property tests can hold the engine against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trading.engine import BUY, DAY, FOK, GTC, SELL


@dataclass
class NaiveOrder:
    """A resting order in the naive book."""

    order_id: object
    account_id: object
    side: str
    price: int
    qty: int
    seq: int


@dataclass
class NaiveOutcome:
    """What the naive book says one incoming order does."""

    fills: list[tuple] = field(default_factory=list)  # (maker id, maker account, price, qty)
    cancels: list[tuple] = field(default_factory=list)  # (order id, qty)
    remaining: int = 0
    rests: bool = False
    rejected: bool = False


def crosses(side: str, limit: int | None, resting_price: int) -> bool:
    """True if an incoming order on `side` with `limit` may trade at `resting_price`."""
    if limit is None:
        return True
    return resting_price <= limit if side == BUY else resting_price >= limit


def priority(side: str, order: NaiveOrder) -> tuple[int, int]:
    """Sort key: best price first for the side `order` rests on, then oldest first."""
    return (-order.price if side == BUY else order.price, order.seq)


class NaiveBook:
    """Price-time priority by brute force over a flat list of live orders."""

    def __init__(self) -> None:
        self.orders: list[NaiveOrder] = []
        self.seq = 0

    def opposite_crossing(self, side: str, limit: int | None) -> list[NaiveOrder]:
        """The other side's orders that `limit` crosses, in priority order."""
        other = SELL if side == BUY else BUY
        found = [o for o in self.orders if o.side == other and crosses(side, limit, o.price)]
        return sorted(found, key=lambda o: priority(other, o))

    def submit(
        self, order_id: object, account_id: object, side: str, price: int | None, qty: int, tif: str
    ) -> NaiveOutcome:
        """Apply one incoming order and say what happened."""
        candidates = self.opposite_crossing(side, price)
        return self.run(order_id, account_id, side, price, qty, tif, candidates)

    def run(
        self,
        order_id: object,
        account_id: object,
        side: str,
        price: int | None,
        qty: int,
        tif: str,
        candidates: list[NaiveOrder],
    ) -> NaiveOutcome:
        """Match against `candidates` (already in priority order), mutating them."""
        out = NaiveOutcome(remaining=qty)

        def own(o: NaiveOrder) -> bool:
            return account_id is not None and o.account_id == account_id

        if tif == FOK and sum(o.qty for o in candidates if not own(o)) < qty:
            out.rejected = True
            return out
        for o in candidates:
            if out.remaining == 0:
                break
            if own(o):
                out.cancels.append((o.order_id, o.qty))
                o.qty = 0
                continue
            take = min(o.qty, out.remaining)
            o.qty -= take
            out.remaining -= take
            out.fills.append((o.order_id, o.account_id, o.price, take))
        self.orders = [o for o in self.orders if o.qty > 0]
        if out.remaining and price is not None and tif in (GTC, DAY):
            self.seq += 1
            self.orders.append(
                NaiveOrder(order_id, account_id, side, price, out.remaining, self.seq)
            )
            out.rests = True
        return out

    def cancel(self, order_id: object) -> int:
        """Remove an order; return the qty it had (0 if unknown)."""
        for o in self.orders:
            if o.order_id == order_id:
                self.orders.remove(o)
                return o.qty
        return 0

    def reduce(self, order_id: object, qty: int) -> int:
        """Take up to `qty` off an order; return what was taken."""
        for o in self.orders:
            if o.order_id == order_id:
                taken = min(qty, o.qty)
                o.qty -= taken
                if o.qty == 0:
                    self.orders.remove(o)
                return taken
        return 0

    def levels(self, side: str) -> list[tuple[int, int]]:
        """(price, total) of one side, best first."""
        totals: dict[int, int] = {}
        for o in self.orders:
            if o.side == side:
                totals[o.price] = totals.get(o.price, 0) + o.qty
        return sorted(totals.items(), key=lambda pt: -pt[0] if side == BUY else pt[0])

    def level_total(self, side: str, price: int) -> int:
        """Total resting qty at one price."""
        return sum(o.qty for o in self.orders if o.side == side and o.price == price)

    def best(self, side: str) -> int | None:
        """Best price of one side."""
        levels = self.levels(side)
        return levels[0][0] if levels else None
