"""A picture of every row the order path writes, to prove that a refused action changed nothing."""

from __future__ import annotations

from accounts.models import Account, CashEntry, User
from trading.models import BookLevel, BookState, Order, Position, ShareEntry, Trade


def db_state() -> dict[str, object]:
    """Every balance, order, trade, ledger row, book level and book counter, as plain values."""
    return {
        "users": sorted(User.objects.values_list("id", "username")),
        "accounts": sorted(
            (str(a), c, r) for a, c, r in Account.objects.values_list("id", "cash", "reserved_cash")
        ),
        "cash_entries": sorted(CashEntry.objects.values_list("id", "account_id", "amount")),
        "positions": sorted(
            Position.objects.values_list(
                "user_id", "stock_id", "qty", "reserved_qty", "avg_cost", "realized_pl"
            )
        ),
        "share_entries": sorted(ShareEntry.objects.values_list("id", "qty")),
        "orders": sorted(
            (str(row[0]), *row[1:])
            for row in Order.objects.values_list(
                "id", "status", "qty", "filled_qty", "limit_price", "reserved_cash", "seq"
            )
        ),
        "trades": sorted(Trade.objects.values_list("id", "qty", "price")),
        "levels": sorted(
            BookLevel.objects.values_list("stock_id", "side", "price", "qty", "orders")
        ),
        "book_states": sorted(
            BookState.objects.values_list(
                "stock_id", "book_seq", "trade_seq", "order_seq", "last_price"
            )
        ),
    }
