"""Reads the Alpaca presenters need beyond `trading.selectors`."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import Account, CashEntry
from marketdata import calendar
from marketdata.models import Stock
from trading.alpaca.presenters import asset_id
from trading.errors import TradingError
from trading.models import BookLevel, ShareEntry

_symbols_by_asset_id: dict[uuid.UUID, str] = {}


def stock_for(symbol_or_asset_id: str) -> Stock:
    """A stock by its symbol or by its asset id (a UUID); 'not found' otherwise."""
    text = str(symbol_or_asset_id).strip()
    try:
        wanted = uuid.UUID(text)
    except ValueError:
        stock = Stock.objects.filter(symbol=text.upper()).first()
    else:
        symbol = _symbols_by_asset_id.get(wanted)
        if symbol is None:  # ids are derived from symbols: learn them all once, then look up
            for known in Stock.objects.values_list("symbol", flat=True):
                _symbols_by_asset_id[asset_id(known)] = known
            symbol = _symbols_by_asset_id.get(wanted)
        stock = Stock.objects.filter(symbol=symbol).first() if symbol else None
    if stock is None:
        raise TradingError("asset_not_found", f"asset not found for {text}")
    return stock


def cash_at(account: Account, moment: datetime) -> Decimal:
    """The account's cash balance at `moment`, from its ledger."""
    entry = (
        CashEntry.objects.filter(account=account, created_at__lte=moment)
        .order_by("-created_at", "-id")
        .values_list("balance_after", flat=True)
        .first()
    )
    if entry is not None:
        return entry
    # Opened since: count its opening deposit, so a new account does not show a 100% gain.
    first = CashEntry.objects.filter(account=account).order_by("created_at", "id").first()
    return first.balance_after if first else Decimal("0")


def shares_at(user_id: int, moment: datetime) -> dict[int, int]:
    """Shares held per stock id at `moment`, from the share ledger."""
    latest = ShareEntry.objects.filter(
        user_id=user_id, stock_id=OuterRef("stock_id"), created_at__lte=moment
    ).order_by("-created_at", "-id")
    rows = (
        ShareEntry.objects.filter(user_id=user_id, created_at__lte=moment)
        .values("stock_id")
        .distinct()
        .annotate(balance=Subquery(latest.values("balance_after")[:1]))
    )
    return {r["stock_id"]: r["balance"] for r in rows if r["balance"]}


def last_equity(account: Account, now: datetime | None = None) -> Decimal:
    """Equity at the previous session close: cash then plus shares then at the previous close."""
    now = now or timezone.now()
    close = calendar.last_close(now) or now
    cash = cash_at(account, close)
    held = shares_at(account.user_id, close)
    prices = dict(Stock.objects.filter(pk__in=held).values_list("pk", "previous_close"))
    value = sum((Decimal(q) * (prices.get(s) or 0) for s, q in held.items()), Decimal("0"))
    return cash + value


def qty_for_notional(stock: Stock, side: str, notional: Decimal) -> int:
    """How many shares (whole lots) `notional` dollars buy (or sell) against the book now.

    Read without the book's lock: it sizes the order, which then trades as any market order
    (no worse than the price band), so a book that moves in between changes only the price.
    With nothing on the other side the reference price sizes it.
    """
    levels = BookLevel.objects.filter(stock=stock, side="sell" if side == "buy" else "buy")
    levels = levels.order_by("price" if side == "buy" else "-price").values_list("price", "qty")
    left, qty, seen = notional, 0, False
    for price, level_qty in levels.iterator(chunk_size=100):
        seen = True
        take = min(level_qty, int((left / price).to_integral_value(ROUND_DOWN)))
        qty += take
        left -= take * price
        if take < level_qty:
            break
    if not seen and (stock.reference_price or 0) > 0:
        qty = int((notional / stock.reference_price).to_integral_value(ROUND_DOWN))
    qty -= qty % stock.lot_size
    if qty <= 0:
        raise TradingError(
            "invalid_notional",
            f"notional {notional} does not reach one lot of {stock.symbol}.",
            fields={"notional": ["Too small for one lot."]},
        )
    return qty
