"""Taking orders off the book: a cancel, cancel-all, the day's expiry, staff cancels."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import services as accounts
from accounts.models import User
from trading.errors import TradingError
from trading.events import MarketEvents
from trading.models import OPEN_STATUSES, BookState, Order, Position
from trading.selectors import order_get_own, parse_order_id
from trading.services.book_levels import BookChanges, book_changes_apply, resting_price
from trading.services.locks import book_lock, positions_lock

# Why an order left the book, as its `reason` says.
USER_REQUESTED = "user_requested"
STAFF_REQUESTED = "staff_requested"
DAY_ORDER_EXPIRED = "day_order_expired"


def order_cancel(*, user: User, order_id: object, reason: str = USER_REQUESTED) -> Order:
    """Cancel one of the user's open orders. Another user's order is 'not found'."""
    pk = parse_order_id(order_id)
    with transaction.atomic():
        # Lock the order's book in the query that finds it (the book lock comes first, as
        # everywhere; the order's row changes only under it, so a plain read then suffices).
        state = (
            BookState.objects.select_for_update(of=("self",))
            .select_related("stock")
            .filter(stock__orders__pk=pk, stock__orders__user=user)
            .first()
        )
        if state is None:  # no such order of this user's (or a book never used: lock it)
            state = book_lock(order_get_own(user=user, order_id=pk).stock_id)
        order = Order.objects.get(pk=pk)
        order.stock = state.stock
        if not order.is_open:
            raise TradingError(
                "order_not_cancelable",
                f"The order is {order.get_status_display().lower()} and can no longer be canceled.",
            )
        _cancel_locked([order], state, reason=reason)
    return order


def order_cancel_all(*, user: User) -> list[Order]:
    """Cancel every open order of the user, one symbol at a time (each symbol atomically)."""
    return _cancel_where(Q(user=user), reason=USER_REQUESTED, status=Order.Status.CANCELED)


def orders_expire_day() -> int:
    """Expire every open day order (the clock calls this at the session close)."""
    expired = _cancel_where(
        Q(time_in_force="day"), reason=DAY_ORDER_EXPIRED, status=Order.Status.EXPIRED
    )
    return len(expired)


def _cancel_where(which: Q, *, reason: str, status: str) -> list[Order]:
    """Cancel (or expire) the open orders matching `which`, symbol by symbol, each atomically."""
    done: list[Order] = []
    open_orders = Order.objects.filter(which, status__in=OPEN_STATUSES)
    stock_ids = open_orders.values_list("stock_id", flat=True).distinct()
    for stock_id in sorted(set(stock_ids)):
        with transaction.atomic():
            state = book_lock(stock_id)
            orders = list(open_orders.filter(stock_id=stock_id).select_for_update())
            for order in orders:
                order.stock = state.stock  # the answer names each order's symbol
            done += _cancel_locked(orders, state, reason=reason, status=status)
    return done


def _cancel_locked(
    orders: list[Order], state: BookState, *, reason: str, status: str = Order.Status.CANCELED
) -> list[Order]:
    """Cancel (or expire) open orders of one symbol under its lock; release their reservations."""
    if not orders:
        return []
    now = timezone.now()
    changes = BookChanges()
    events = MarketEvents(state.stock)
    cash: dict[int, Decimal] = defaultdict(Decimal)  # released per user: buys hold cash...
    shares: dict[int, int] = defaultdict(int)  # ...and sells hold shares
    for order in orders:
        changes.add(order.side, resting_price(order), -order.remaining_qty, -1)
        if order.side == "buy":
            cash[order.user_id] += order.reserved_cash
        else:
            shares[order.user_id] += order.remaining_qty
        order.reserved_cash = Decimal("0")
        order.reason = reason
        if status == Order.Status.EXPIRED:
            order.status, order.expired_at = Order.Status.EXPIRED, now
        else:
            order.status, order.canceled_at = Order.Status.CANCELED, now
        order.save(
            update_fields=[
                "status",
                "reason",
                "reserved_cash",
                "canceled_at",
                "expired_at",
                "updated_at",
            ]
        )
        events.order_ended(order, "expired" if status == Order.Status.EXPIRED else "canceled")
    _release(state, cash, shares, now)
    events.levels = book_changes_apply(state, changes)
    state.save(update_fields=["book_seq"])
    events.publish_on_commit()
    return orders


def _release(
    state: BookState, cash: dict[int, Decimal], shares: dict[int, int], now: datetime
) -> None:
    if len(cash.keys() | shares.keys()) == 1:
        # One user (a cancel, a cancel-all): relative UPDATEs, one row each, need no read and
        # cannot break the ascending lock order.
        for user_id, amount in cash.items():
            accounts.cash_release_now(user_id=user_id, amount=amount)
        for user_id, qty in shares.items():
            Position.objects.filter(user_id=user_id, stock_id=state.stock_id).update(
                reserved_qty=F("reserved_qty") - qty, updated_at=now
            )
        return
    # Many users (the close's expiry): lock their rows in ascending id order first.
    locked = accounts.accounts_lock(cash)
    before = {uid: a.reserved_cash for uid, a in locked.items()}
    for user_id, amount in cash.items():
        accounts.cash_release(account=locked[user_id], amount=amount)
    accounts.reservations_save(locked, before)
    positions = positions_lock(state.stock, shares)
    for user_id, qty in shares.items():
        positions[user_id].reserved_qty -= qty
        positions[user_id].save(update_fields=["reserved_qty", "updated_at"])
