"""A user's history as the pages show it: the equity curve and the activity list."""

from __future__ import annotations

import re
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, User
from trading.models import (
    Trade,
)
from trading.selectors import account_summary, fills_for


def _settles(trade: Trade) -> str:
    """The cash ledger's reference of a trade's settlement (see the order and auction paths)."""
    if trade.auction_id is not None:
        return f"auction:{trade.auction_id}"
    return f"trade:{trade.stock.symbol}:{trade.seq}"


def equity_history(*, user: User, limit: int = 500) -> list[dict]:
    """The account's equity after each cash movement, oldest first, from the ledgers.

    Cash is the cash ledger's running balance. The shares held at each moment are today's
    positions with the user's later trades undone (so granted shares count from the start);
    a trade joins the curve at its settlement entry. Shares are marked at the user's latest
    fill price by then, else at today's price. The last point is today's equity."""
    account = Account.objects.get(user=user)
    entries = list(
        account.cash_entries.order_by("-created_at", "-id").values(
            "created_at", "balance_after", "reference"
        )[:limit]
    )[::-1]
    summary = account_summary(user=user)
    held = {v.position.stock_id: v.position.qty for v in summary["positions"]}
    today = {v.position.stock_id: v.current_price for v in summary["positions"]}
    trades = (
        list(
            Trade.objects.filter(
                Q(buyer=user) | Q(seller=user), executed_at__gte=entries[0]["created_at"]
            )
            .select_related("stock")
            .order_by("executed_at", "seq")
        )
        if entries
        else []
    )

    def signed(t: Trade) -> int:
        return t.qty if t.buyer_id == user.id else -t.qty

    for t in trades:  # back to the holdings at the window's start
        held[t.stock_id] = held.get(t.stock_id, 0) - signed(t)
    pending = {_settles(t): t for t in trades}
    marks: dict[int, Decimal] = {}

    def apply(t: Trade) -> None:
        held[t.stock_id] = held.get(t.stock_id, 0) + signed(t)
        marks[t.stock_id] = t.price

    points: list[dict] = []
    for entry in entries:
        settled = pending.pop(entry["reference"], None)
        if settled is not None:
            apply(settled)
        # Trades without a settlement entry in the window (a maker's fee-free sell, say) join
        # at the first entry after them.
        for key, t in list(pending.items()):
            if t.executed_at < entry["created_at"]:
                apply(pending.pop(key))
        shares = sum(
            (marks.get(s, today.get(s, Decimal("0"))) * q for s, q in held.items() if q),
            Decimal("0"),
        )
        points.append({"time": entry["created_at"], "equity": entry["balance_after"] + shares})
    points.append({"time": timezone.now(), "equity": summary["equity"]})
    return points


def _fill_words(fill: dict) -> str:
    """How a fill came about, in a trader's words (not "maker" or "taker")."""
    if fill["auction_id"] is not None:
        return "won at auction" if fill["side"] == "buy" else "sold at auction"
    if fill["liquidity"] == "maker":
        return "your order was waiting on the book"
    return "your order met one waiting on the book"


_FOUR_PLACES = re.compile(r"\b(\d+\.\d{2})00\b")


def _two_places(memo: str) -> str:
    """ "Bought 10 AAPL @ 270.5000" reads "@ 270.50" (ledger memos keep the stored places)."""
    return _FOUR_PLACES.sub(r"\1", memo)


def activity_for(*, user: User, limit: int = 200) -> list[dict]:
    """Fills and cash movements, newest first, in one list for the activity page."""
    account = Account.objects.get(user=user)
    rows = [
        {
            "time": f["transaction_time"],
            "kind": "fill",
            "label": f"{'Bought' if f['side'] == 'buy' else 'Sold'} {f['qty']} {f['symbol']}",
            "symbol": f["symbol"],
            "price": f["price"],
            "qty": f["qty"],
            "amount": None,
            "detail": _fill_words(f),
        }
        for f in fills_for(user=user, limit=limit)
    ]
    for e in account.cash_entries.select_related("created_by").order_by("-created_at")[:limit]:
        rows.append(
            {
                "time": e.created_at,
                "kind": e.kind,
                "label": e.get_kind_display(),
                "symbol": None,
                "price": None,
                "qty": None,
                "amount": e.amount,
                "balance": e.balance_after,
                "detail": _two_places(e.memo),
            }
        )
    rows.sort(key=lambda r: r["time"], reverse=True)
    return rows[:limit]
