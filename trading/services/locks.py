"""The lock order, written once. Every trading transaction takes its locks in this order, so
concurrent calls from any number of web and worker processes cannot deadlock each other:

1. the symbol's `BookState` row (serializes matching on one symbol; symbols run in parallel);
   an auction's row comes after its symbol's book;
2. the accounts involved, in ascending id order, in one query, once per transaction
   (`accounts.services.accounts_lock`): a second account lock later in the same transaction
   could come out of order (a replace therefore cancels its old order inside `order_place`,
   under that one lock);
3. the positions involved, in ascending id order, in one query.

Orders, book levels and positions of a symbol change only under its book lock. Where one row
is all a transaction needs (an order that only rests, a cancel), a relative UPDATE takes that
row's lock directly: with a single row there is no order to break.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from core.db import Prepared
from marketdata.models import Stock
from trading.errors import TradingError
from trading.models import BookState, Position


def book_lock(stock_id: int) -> BookState:
    """Lock the symbol's book state row, creating it on first use."""
    # `of=("self",)`: lock only the book state. Locking the joined stock row too would make
    # every insert that references the stock (orders, trades, price history) wait for it.
    locked = BookState.objects.select_for_update(of=("self",)).select_related("stock")
    state = locked.filter(stock_id=stock_id).first()
    if state is not None:
        return state
    try:
        with transaction.atomic():
            BookState.objects.get_or_create(stock_id=stock_id)
    except IntegrityError:  # created concurrently by another transaction: fine
        pass
    return locked.get(stock_id=stock_id)


# The order path's first statement, compiled once (core.db.Prepared).
_BOOK_BY_SYMBOL = Prepared(
    lambda symbol: (
        BookState.objects.select_for_update(of=("self",))
        .select_related("stock")
        .filter(stock__symbol=symbol)[:1]
    ),
    str,
)


def book_lock_for_symbol(symbol: str) -> BookState:
    """Find and lock a symbol's book in one query (the order path's first statement)."""
    state = _BOOK_BY_SYMBOL.first(symbol)
    if state is not None:
        return state
    stock_id = Stock.objects.filter(symbol=symbol).values_list("pk", flat=True).first()
    if stock_id is None:
        raise TradingError(
            "unknown_symbol", f"There is no stock {symbol!r}.", fields={"symbol": ["Unknown."]}
        )
    return book_lock(stock_id)


def positions_lock(stock: Stock, user_ids: Iterable[int]) -> dict[int, Position]:
    """Lock the users' positions in one stock (ascending id), creating missing ones.

    Needs the symbol's book lock: positions are created only under it, so the plain inserts
    here cannot collide.
    """
    user_ids = set(user_ids)
    if not user_ids:
        return {}
    locked = Position.objects.select_for_update().filter(stock=stock).order_by("id")
    positions = {p.user_id: p for p in locked.filter(user_id__in=user_ids)}
    missing = user_ids - set(positions)
    if missing:
        Position.objects.bulk_create([Position(user_id=u, stock=stock) for u in missing])
        positions.update({p.user_id: p for p in locked.filter(user_id__in=missing)})
    return positions
