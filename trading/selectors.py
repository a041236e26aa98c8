"""Reads on orders, trades, positions and the book."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Min, Q, QuerySet, Sum

from accounts.models import Account, User
from marketdata.models import Stock
from marketdata.selectors import DayFigures, market_day_start
from marketdata.selectors import price as stored_price
from trading.errors import TradingError
from trading.models import (
    OPEN_STATUSES,
    BookLevel,
    BookState,
    Order,
    Position,
    Trade,
    TradingConfiguration,
)
from trading.pricing import band

CLOSED_STATUSES = ("filled", "canceled", "expired", "replaced", "rejected")


def _book_seq(stock: Stock) -> int:
    return BookState.objects.filter(stock=stock).values_list("book_seq", flat=True).first() or 0


def _book_levels(stock: Stock, depth: int) -> tuple[list, list]:
    levels = BookLevel.objects.filter(stock=stock)
    bids = list(levels.filter(side="buy").order_by("-price")[:depth])
    asks = list(levels.filter(side="sell").order_by("price")[:depth])
    return bids, asks


def book_snapshot(*, stock: Stock, depth: int = 10) -> dict:
    """Aggregated levels, best first, with the book sequence they correspond to.

    The levels and their `seq` must come from one moment: every change of a level bumps the
    sequence in the same transaction, so when the sequence reads the same before and after the
    levels, no change committed in between and the levels are exactly those of that seq. Under
    a storm of changes it retries, then reads under the book's row lock (which writers take).
    """
    for attempt in range(4):
        if attempt < 3:
            seq = _book_seq(stock)
            bids, asks = _book_levels(stock, depth)
            if _book_seq(stock) != seq:
                continue
        else:
            with transaction.atomic():
                seq = (
                    BookState.objects.select_for_update()
                    .filter(stock=stock)
                    .values_list("book_seq", flat=True)
                    .first()
                    or 0
                )
                bids, asks = _book_levels(stock, depth)
        break
    return {
        "symbol": stock.symbol,
        "seq": seq,
        "bids": [
            {"price": str(lvl.price), "qty": str(lvl.qty), "orders": lvl.orders} for lvl in bids
        ],
        "asks": [
            {"price": str(lvl.price), "qty": str(lvl.qty), "orders": lvl.orders} for lvl in asks
        ],
    }


def orders_for(
    *,
    user: User,
    status: str = "open",
    symbols: list[str] | None = None,
    side: str | None = None,
    after: datetime | None = None,
    until: datetime | None = None,
    direction: str = "desc",
    limit: int | None = 50,
) -> QuerySet[Order]:
    """The user's orders, filtered as the API's query parameters say."""
    orders = Order.objects.filter(user=user).select_related("stock", "replaced_by")
    if status == "open":
        orders = orders.filter(status__in=OPEN_STATUSES)
    elif status == "closed":
        orders = orders.filter(status__in=CLOSED_STATUSES)
    if symbols:
        orders = orders.filter(stock__symbol__in=symbols)
    if side:
        orders = orders.filter(side=side)
    if after:
        orders = orders.filter(created_at__gt=after)
    if until:
        orders = orders.filter(created_at__lt=until)
    ordering = "created_at" if direction == "asc" else "-created_at"
    return orders.order_by(ordering, "seq")[:limit]


def fills_for(
    *,
    user: User,
    limit: int = 100,
    symbol: str | None = None,
    after: datetime | None = None,
    until: datetime | None = None,
    page_token: str | None = None,
) -> list[dict]:
    """The user's executions, newest first, from their side of each trade.

    `page_token` is the id of the last fill of the previous page (Alpaca's activities page
    the same way): this page starts with the fill after it, so paging never skips or repeats
    one, however many share a timestamp.
    """
    trades = (
        Trade.objects.filter(Q(buyer=user) | Q(seller=user))
        .select_related("stock")
        .order_by("-executed_at", "-pk")
    )
    if symbol:
        trades = trades.filter(stock__symbol=symbol)
    if after is not None:
        trades = trades.filter(executed_at__gt=after)
    if until is not None:
        trades = trades.filter(executed_at__lte=until)
    if page_token is not None:
        last = _fill_by_id(user, page_token)
        trades = trades.filter(
            Q(executed_at__lt=last.executed_at) | Q(executed_at=last.executed_at, pk__lt=last.pk)
        )
    out = []
    for trade in trades[:limit]:
        # A trade with oneself cannot happen (self-trade prevention), so one side is ours.
        mine = "buy" if trade.buyer_id == user.id else "sell"
        out.append(
            {
                "id": f"{trade.stock.symbol}-{trade.seq}",
                "order_id": trade.buy_order_id if mine == "buy" else trade.sell_order_id,
                "symbol": trade.stock.symbol,
                "side": mine,
                "price": trade.price,
                "qty": trade.qty,
                "liquidity": "maker" if trade.maker_side == mine else "taker",
                "auction_id": trade.auction_id,
                "fee": trade.buyer_fee if mine == "buy" else trade.seller_fee,
                "transaction_time": trade.executed_at,
            }
        )
    return out


def _fill_by_id(user: User, fill_id: str) -> Trade:
    symbol, _, seq = fill_id.rpartition("-")
    trade = None
    if symbol and seq.isascii() and seq.isdigit() and len(seq) <= 18:
        trade = (
            Trade.objects.filter(Q(buyer=user) | Q(seller=user))
            .filter(stock__symbol=symbol, seq=int(seq))
            .first()
        )
    if trade is None:
        raise TradingError(
            "unknown_page_token",
            "page_token must be the id of one of your fills.",
            fields={"page_token": ["No such fill."]},
        )
    return trade


def trade_seq(*, stock: Stock) -> int:
    """The stock's last trade sequence number (0 before its first trade)."""
    return BookState.objects.filter(stock=stock).values_list("trade_seq", flat=True).first() or 0


def trades_for_stock(*, stock: Stock, limit: int = 50) -> QuerySet[Trade]:
    return Trade.objects.filter(stock=stock).order_by("-seq")[:limit]


def day_through(*, stock: Stock, trade_seq: int, now: datetime | None = None) -> DayFigures:
    """Today's figures (`marketdata.selectors.day_figures`) counting trades up to `trade_seq`
    only: a trades snapshot's day, onto which the trades after it fold exactly."""
    start = market_day_start(now)
    row = Trade.objects.filter(stock=stock, executed_at__gte=start, seq__lte=trade_seq).aggregate(
        high=Max("price"), low=Min("price"), volume=Sum("qty"), trades=Count("id")
    )
    highs, lows = [row["high"]], [row["low"]]
    if stock.day == start.date():
        highs.append(stock.day_high)
        lows.append(stock.day_low)
    highs = [stored_price(h) for h in highs if h is not None]
    lows = [stored_price(v) for v in lows if v is not None]
    return DayFigures(
        high=max(highs) if highs else None,
        low=min(lows) if lows else None,
        volume=int(row["volume"] or 0),
        trades=row["trades"],
    )


@dataclass(frozen=True)
class PositionView:
    """A position valued at the stock's current price."""

    position: Position
    current_price: Decimal
    market_value: Decimal
    cost_basis: Decimal
    unrealized_pl: Decimal
    unrealized_plpc: Decimal
    lastday_price: Decimal | None
    change_today: Decimal | None
    price_source: str = "last_trade"  # or "reference" when the stock has not traded here
    today_pl: Decimal | None = None  # see `_today_pl`; None without a previous close

    @property
    def unrealized_pct(self) -> Decimal:
        return self.unrealized_plpc * 100


def _mark(stock: Stock, state_price: Decimal | None) -> tuple[Decimal, str]:
    # The last trade on this book is what the shares would fetch, held inside the stock's
    # price band around the reference (so one odd trade cannot re-price every holder beyond
    # what an order could); auction prints do not set it. A stock nobody has traded yet falls
    # back to the market-data reference price.
    reference = stock.reference_price
    if state_price:
        if reference:
            low, high = band(reference, stock.band_pct, stock.tick_size)
            state_price = min(max(state_price, low), high)
        return state_price, "last_trade"
    return reference or Decimal("0"), "reference"


@dataclass
class _DayTrades:
    """One user's trades in one stock since the day's start: shares and money each way."""

    bought: int = 0
    bought_cost: Decimal = Decimal("0")
    sold: int = 0
    sold_proceeds: Decimal = Decimal("0")


def _day_trades(*, user: User, stock_ids=None, now: datetime | None = None) -> dict:
    """`_DayTrades` by stock id, from the user's trades since `market_day_start` (fees apart)."""
    trades = Trade.objects.filter(executed_at__gte=market_day_start(now)).filter(
        Q(buyer=user) | Q(seller=user)
    )
    if stock_ids is not None:
        trades = trades.filter(stock_id__in=stock_ids)
    days: dict[int, _DayTrades] = {}
    for stock_id, buyer_id, seller_id, price, qty in trades.values_list(
        "stock_id", "buyer_id", "seller_id", "price", "qty"
    ):
        day = days.setdefault(stock_id, _DayTrades())
        if buyer_id == user.pk:
            day.bought += qty
            day.bought_cost += price * qty
        if seller_id == user.pk:
            day.sold += qty
            day.sold_proceeds += price * qty
    return days


def _today_pl(
    *, qty: int, price: Decimal, previous_close: Decimal | None, day: _DayTrades | None
) -> Decimal | None:
    """Today's P&L in one stock: what the shares are worth now, less what the shares held at
    the day's start were worth at the previous close, less today's buys, plus today's sells
    (at their trade prices; fees apart). Shares bought today count from their price, shares
    sold today up to their price. None when shares were held at the day's start and the stock
    has no previous close to measure from."""
    day = day or _DayTrades()
    held_at_start = qty - day.bought + day.sold
    if held_at_start and not previous_close:
        return None
    start_value = held_at_start * (previous_close or Decimal("0"))
    value = price * qty - start_value - day.bought_cost + day.sold_proceeds
    return value.quantize(Decimal("0.0001"))


def positions_for(*, user: User, symbol: str | None = None) -> list[PositionView]:
    """Open positions (quantity above zero), valued at the last trade (else the reference price)."""
    positions = (
        Position.objects.filter(user=user, qty__gt=0)
        .select_related("stock")
        .order_by("stock__symbol")
    )
    if symbol:
        positions = positions.filter(stock__symbol=symbol)
    last_prices = dict(
        BookState.objects.filter(stock_id__in=[p.stock_id for p in positions]).values_list(
            "stock_id", "last_price"
        )
    )
    days = _day_trades(user=user, stock_ids=[p.stock_id for p in positions])
    views = []
    for p in positions:
        price, source = _mark(p.stock, last_prices.get(p.stock_id))
        market_value = (price * p.qty).quantize(Decimal("0.0001"))
        cost = (p.avg_cost * p.qty).quantize(Decimal("0.0001"))
        pl = market_value - cost
        plpc = (pl / cost).quantize(Decimal("0.000001")) if cost else Decimal("0")
        prev = p.stock.previous_close
        change = ((price - prev) / prev).quantize(Decimal("0.000001")) if prev else None
        today = _today_pl(qty=p.qty, price=price, previous_close=prev, day=days.get(p.stock_id))
        views.append(
            PositionView(p, price, market_value, cost, pl, plpc, prev, change, source, today)
        )
    return views


def today_pl_total(*, user: User, positions: list[PositionView]) -> Decimal | None:
    """Today's P&L over the account: the open positions' (`PositionView.today_pl`) plus the
    stocks sold out of today (their sells less the previous-close value of the shares held at
    the day's start, less today's buys). None when a figure in it has no previous close."""
    held = {v.position.stock_id for v in positions}
    total = Decimal("0")
    for v in positions:
        if v.today_pl is None:
            return None
        total += v.today_pl
    closed = {k: d for k, d in _day_trades(user=user).items() if k not in held}
    for stock in Stock.objects.filter(id__in=list(closed)):
        today = _today_pl(
            qty=0, price=Decimal("0"), previous_close=stock.previous_close, day=closed[stock.id]
        )
        if today is None:
            return None
        total += today
    return total


def account_summary(*, user: User) -> dict:
    """Cash, reservations, buying power and equity, as Alpaca's account object reports them."""
    account = Account.objects.get(user=user)
    positions = positions_for(user=user)
    long_value = sum((v.market_value for v in positions), Decimal("0"))
    equity = account.cash + long_value
    return {
        "account": account,
        "cash": account.cash,
        "reserved_cash": account.reserved_cash,
        "buying_power": account.cash - account.reserved_cash,
        "long_market_value": long_value,
        "equity": equity,
        "portfolio_value": equity,
        "positions": positions,
        "today_pl": today_pl_total(user=user, positions=positions),
        "open_orders": Order.objects.filter(user=user, status__in=OPEN_STATUSES).count(),
    }


def book_state(*, stock: Stock) -> BookState | None:
    """The stock's book state (last trade's price and time), if it ever traded."""
    return BookState.objects.filter(stock=stock).first()


def position_in(*, user: User, stock: Stock) -> Position | None:
    return Position.objects.filter(user=user, stock=stock).first()


def open_orders_in(*, user: User, stock: Stock) -> QuerySet[Order]:
    """The user's open orders in one stock, newest first."""
    return (
        Order.objects.filter(user=user, stock=stock, status__in=OPEN_STATUSES)
        .select_related("stock")
        .order_by("-created_at")
    )


def order_by_client_id(*, user: User, client_order_id: str) -> Order | None:
    return (
        Order.objects.select_related("stock")
        .filter(user=user, client_order_id=client_order_id)
        .first()
    )


def parse_order_id(order_id) -> uuid.UUID:
    """An order id as given by a client; anything but a UUID is 'not found'."""
    try:
        return uuid.UUID(str(order_id))
    except ValueError:
        raise TradingError("not_found", "No such order.") from None


def order_get_own(*, user: User, order_id) -> Order:
    """One of the user's orders; anything else, including another user's order, is 'not found'."""
    order = (
        Order.objects.filter(pk=parse_order_id(order_id), user=user).select_related("stock").first()
    )
    if order is None:
        raise TradingError("not_found", "No such order.")
    return order


def trading_configuration(*, user: User) -> TradingConfiguration:
    """The user's trading configuration; the defaults (unsaved) when they have none."""
    return TradingConfiguration.objects.filter(user=user).first() or TradingConfiguration()


def trading_suspended(*, user: User) -> bool:
    """Whether the user has suspended their own trading (Alpaca's `suspend_trade`)."""
    return TradingConfiguration.objects.filter(user_id=user.pk, suspend_trade=True).exists()
