"""The aggregated book: per-level totals written once per transaction, each change sequenced."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper

from trading.models import BookLevel, BookState, Order


@dataclass
class BookChanges:
    """Per-level quantity and order-count changes of one transaction, applied at the end."""

    qty: dict[tuple[str, Decimal], int] = field(default_factory=lambda: defaultdict(int))
    orders: dict[tuple[str, Decimal], int] = field(default_factory=lambda: defaultdict(int))

    def add(self, side: str, price: Decimal, qty: int, orders: int = 0) -> None:
        self.qty[(side, price)] += qty
        self.orders[(side, price)] += orders


def resting_price(order: Order) -> Decimal:
    """The level a resting order sits at: only limit orders rest, so it has a limit price."""
    assert order.limit_price is not None, f"order {order.pk} rests without a limit price"
    return order.limit_price


def book_changes_apply(state: BookState, changes: BookChanges) -> list[dict[str, Any]]:
    """Write level totals; bump the book sequence once per changed level; return the deltas.

    One statement per level, returning the new total: an upsert where an order comes to
    rest, a guarded decrement elsewhere, and a delete when the level empties exactly. A
    level that would go negative, or empty with orders left, raises and rolls back.
    """
    touched = sorted(k for k in changes.qty if changes.qty[k] or changes.orders[k])
    if not touched:
        return []
    qn = connection.ops.quote_name
    table = qn(BookLevel._meta.db_table)
    qty_col, orders_col = qn("qty"), qn("orders")
    where = f"{qn('stock_id')} = %s AND {qn('side')} = %s AND {qn('price')} = %s"
    stock_id = state.stock_id
    deltas: list[dict[str, Any]] = []
    with connection.cursor() as cursor:
        for side, price in touched:
            dq, dn = changes.qty[(side, price)], changes.orders[(side, price)]
            key: list[int | str | Decimal] = [stock_id, side, price]
            if dn > 0:
                cursor.execute(
                    f"INSERT INTO {table} ({qn('stock_id')}, {qn('side')}, {qn('price')}, "
                    f"{qty_col}, {orders_col}) VALUES (%s, %s, %s, %s, %s) "
                    f"ON CONFLICT ({qn('stock_id')}, {qn('side')}, {qn('price')}) DO UPDATE "
                    f"SET {qty_col} = {table}.{qty_col} + excluded.{qty_col}, "
                    f"{orders_col} = {table}.{orders_col} + excluded.{orders_col} "
                    f"RETURNING {qty_col}, {orders_col}",
                    [*key, dq, dn],
                )
                qty, orders = cursor.fetchone()
            else:
                qty, orders = _level_take(cursor, table, where, key, dq, dn, state)
            state.book_seq += 1
            deltas.append(
                {
                    "seq": state.book_seq,
                    "side": side,
                    "price": str(price),
                    "qty": qty,
                    "orders": orders,
                }
            )
    return deltas


def _level_take(
    cursor: CursorWrapper,
    table: str,
    where: str,
    key: list[int | str | Decimal],
    dq: int,
    dn: int,
    state: BookState,
) -> tuple[int, int]:
    """Take shares (and orders) off a level: a guarded decrement, or a delete when it empties."""
    qn = connection.ops.quote_name
    qty_col, orders_col = qn("qty"), qn("orders")
    cursor.execute(
        f"UPDATE {table} SET {qty_col} = {qty_col} + %s, "
        f"{orders_col} = {orders_col} + %s WHERE {where} AND {qty_col} + %s > 0 "
        f"RETURNING {qty_col}, {orders_col}",
        [dq, dn, *key, dq],
    )
    row = cursor.fetchone()
    if row is not None:
        return int(row[0]), int(row[1])
    cursor.execute(
        f"DELETE FROM {table} WHERE {where} AND {qty_col} + %s = 0 "
        f"AND {orders_col} + %s = 0 RETURNING {qty_col}",
        [*key, dq, dn],
    )
    if cursor.fetchone() is None:
        _, side, price = key
        raise RuntimeError(
            f"book level {state.stock.symbol} {side} {price} cannot take "
            f"{dq:+} shares / {dn:+} orders"
        )
    return 0, 0
