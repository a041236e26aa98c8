"""Reads the Alpaca views, streams and presenters need beyond `trading.selectors`."""

from __future__ import annotations

import uuid
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Account, CashEntry, User
from alpaca_adapter.presenters import asset_id
from core.times import rfc3339
from marketdata import calendar
from marketdata.models import PriceBar, Stock
from trading.errors import TradingError
from trading.models import BookLevel, ShareEntry, Trade, Watchlist

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


def stocks_by_symbol(symbols: list[str]) -> dict[str, Stock]:
    """Those of `symbols` that are stocks here, by symbol."""
    return {s.symbol: s for s in Stock.objects.filter(symbol__in=symbols)}


def assets(*, exchange: str | None = None) -> QuerySet[Stock]:
    """Every stock, by symbol; only those listed on `exchange` when it is given."""
    stocks = Stock.objects.order_by("symbol")
    if exchange:
        stocks = stocks.filter(exchange=exchange.strip().upper())
    return stocks


def watchlists_of(*, user: User) -> QuerySet[Watchlist]:
    return Watchlist.objects.filter(user=user).order_by("created_at")


def watchlist_get(*, user: User, watchlist_id: str) -> Watchlist:
    """One of the user's watchlists by its id; 'not found' for anything else."""
    try:
        pk = uuid.UUID(str(watchlist_id))
    except ValueError:
        raise TradingError("watchlist_not_found", "watchlist not found") from None
    watchlist = Watchlist.objects.filter(user=user, pk=pk).first()
    if watchlist is None:
        raise TradingError("watchlist_not_found", "watchlist not found")
    return watchlist


def watchlist_by_name(*, user: User, name: str) -> Watchlist:
    """One of the user's watchlists by its name (unique per user); 'not found' otherwise."""
    watchlist = Watchlist.objects.filter(user=user, name=name).first()
    if watchlist is None:
        raise TradingError("watchlist_not_found", f"no watchlist named {name!r}")
    return watchlist


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
    reference = stock.reference_price
    if not seen and reference is not None and reference > 0:
        qty = int((notional / reference).to_integral_value(ROUND_DOWN))
    qty -= qty % stock.lot_size
    if qty <= 0:
        raise TradingError(
            "invalid_notional",
            f"notional {notional} does not reach one lot of {stock.symbol}.",
            fields={"notional": ["Too small for one lot."]},
        )
    return qty


# --------------------------------------------------------------------------- history
def _last_at(series: list[tuple], moment, default):
    """The value of the last (time, value) pair at or before `moment` (series sorted)."""
    times = [t for t, _ in series]
    i = bisect_right(times, moment)
    return series[i - 1][1] if i else default


def equity_series(account: Account, moments: list[datetime]) -> list[Decimal]:
    """The account's equity at each moment: ledger cash plus ledger shares at that minute's price.

    A handful of queries whatever the number of moments: the ledgers and the price bars are
    read once and swept in memory.
    """
    end = moments[-1]
    cash = list(
        CashEntry.objects.filter(account=account, created_at__lte=end)
        .order_by("created_at", "id")
        .values_list("created_at", "balance_after")
    )
    shares: dict[int, list[tuple]] = {}
    for stock_id, at, balance in (
        ShareEntry.objects.filter(user_id=account.user_id, created_at__lte=end)
        .order_by("created_at", "id")
        .values_list("stock_id", "created_at", "balance_after")
    ):
        shares.setdefault(stock_id, []).append((at, balance))
    prices: dict[int, list[tuple]] = {s: [] for s in shares}
    for stock_id, start, close in (
        PriceBar.objects.filter(
            stock_id__in=shares, start__gte=moments[0] - timedelta(days=1), start__lte=end
        )
        .order_by("start")
        .values_list("stock_id", "start", "close")
    ):
        prices[stock_id].append((start, close))
    fallback = dict(Stock.objects.filter(pk__in=shares).values_list("pk", "reference_price"))
    out = []
    for moment in moments:
        value = _last_at(cash, moment, Decimal("0"))
        for stock_id, series in shares.items():
            held = _last_at(series, moment, 0)
            if held:
                price = _last_at(prices[stock_id], moment, None) or fallback[stock_id] or 0
                value += held * price
        out.append(Decimal(value))
    return out


def _fill_activities(account: Account, after, until) -> list[tuple[datetime, dict]]:
    """The account's fills (auction prints aside: they have no order) as FILL activities."""
    user_id = account.user_id
    trades = Trade.objects.filter(Q(buyer_id=user_id) | Q(seller_id=user_id)).select_related(
        "stock", "buy_order", "sell_order"
    )
    if after:
        trades = trades.filter(executed_at__gt=after)
    if until:
        trades = trades.filter(executed_at__lt=until)
    rows = []
    for t in trades.exclude(auction__isnull=False):
        mine = "buy" if t.buyer_id == user_id else "sell"
        order = t.buy_order if mine == "buy" else t.sell_order
        assert order is not None  # auction prints (no orders) are excluded above
        activity_id = f"{rfc3339_compact(t.executed_at)}::{t.stock.symbol}-{t.seq}-{mine}"
        rows.append(
            (
                t.executed_at,
                {
                    "id": activity_id,
                    "account_id": str(account.id),
                    "activity_type": "FILL",
                    "transaction_time": rfc3339(t.executed_at),
                    "type": "fill" if order.status == "filled" else "partial_fill",
                    "price": str(t.price),
                    "qty": str(t.qty),
                    "side": mine,
                    "symbol": t.stock.symbol,
                    "leaves_qty": str(order.remaining_qty if order.is_open else 0),
                    "order_id": str(order.id),
                    "cum_qty": str(order.filled_qty),
                    "order_status": order.status,
                },
            )
        )
    return rows


def _cash_activities(account: Account, types, after, until) -> list[tuple[datetime, dict]]:
    """The account's cash ledger entries of the asked kinds as Alpaca's cash activities."""
    kinds = [k for k, code in CASH_ACTIVITIES.items() if not types or code in types]
    entries = CashEntry.objects.filter(account=account, kind__in=kinds)
    if after:
        entries = entries.filter(created_at__gt=after)
    if until:
        entries = entries.filter(created_at__lt=until)
    market_tz = timezone.get_default_timezone()
    return [
        (
            e.created_at,
            {
                "id": f"{rfc3339_compact(e.created_at)}::cash-{e.pk}",
                "account_id": str(account.id),
                "activity_type": CASH_ACTIVITIES[e.kind],
                "date": timezone.localtime(e.created_at, market_tz).date().isoformat(),
                "net_amount": str(e.amount),
                "description": e.memo,
                "status": "executed",
            },
        )
        for e in entries
    ]


def activities(
    account: Account, *, types=None, after=None, until=None, direction: str = "desc"
) -> list[dict]:
    """Fills (from trades, so realized P&L never vanishes with a flat position) and cash
    activities (from the cash ledger), as Alpaca's activities, in time order."""
    rows = _fill_activities(account, after, until) if not types or "FILL" in types else []
    rows += _cash_activities(account, types, after, until)
    rows.sort(key=lambda r: (r[0], r[1]["id"]), reverse=direction == "desc")
    return [r[1] for r in rows]


CASH_ACTIVITIES = {"opening": "CSD", "adjustment": "JNLC", "fee": "FEE", "auction": "JNLC"}


def rfc3339_compact(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
