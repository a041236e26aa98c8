"""The demo's live market: the house keeps a rolling set of auction lots running and the demo
traders bid now and then; the demo market maker re-quotes its ladder around the moving
reference price, so the headline price, the book and the tape agree.

Only runs when AUCTION_DEMO_LOTS > 0 (`make run` sets it), through the auction sweep's hook
(`demo_auctions_sweep`, named in AUCTION_SWEEP_HOOKS); the lots are of the stocks that have a
security code (`marketdata.securities`, the founding auction list).
"""

from __future__ import annotations

import contextlib
import random
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.conf import settings

from accounts.models import User
from core.errors import DomainError
from marketdata.models import Stock
from marketdata.securities import security_codes
from trading.auctions import rules
from trading.auctions.services.bids import auction_bid_place
from trading.auctions.services.create import auction_create
from trading.models import OPEN_STATUSES, Auction, Order, Position
from trading.services import order_cancel, order_place, position_grant

# The demo's own bidders: accounts nobody logs in to (no usable password), never the demo
# log-ins (alice, bob, carol), whose cash and bids are theirs alone.
DEMO_BIDDERS = ("demo-bidder-1", "demo-bidder-2", "demo-bidder-3")
# Each sweep (once a second) a demo trader bids with this chance.
BID_CHANCE = 0.15


def demo_bidders() -> list[User]:
    """The demo's bidders, created (each with an account and the starting cash) if missing."""
    found = {u.username: u for u in User.objects.filter(username__in=DEMO_BIDDERS)}
    for username in DEMO_BIDDERS:
        if username not in found:
            # The post_save signal opens the account with STARTING_CASH, in the same transaction.
            found[username] = User.objects.create_user(username=username, password=None)
    return [found[name] for name in DEMO_BIDDERS if found[name].is_active]


def _on_tick(price: Decimal, tick: Decimal) -> Decimal:
    return (price / tick).to_integral_value(rounding=ROUND_DOWN) * tick


def demo_auctions_keep(*, lots: int, rng: random.Random | None = None) -> int:
    """Open house lots until `lots` are live, staggered in length; returns how many opened."""
    rng = rng or random.Random()
    house_live = Auction.objects.filter(
        seller__is_house=True, status__in=[Auction.Status.SCHEDULED, Auction.Status.OPEN]
    )
    missing = lots - house_live.count()
    if missing <= 0:
        return 0
    busy = set(house_live.values_list("stock__symbol", flat=True))
    stocks = list(
        Stock.objects.filter(
            symbol__in=list(security_codes()), reference_price__isnull=False, status="active"
        ).exclude(symbol__in=busy)
    )
    opened = 0
    for stock in rng.sample(stocks, min(missing, len(stocks))):
        reference = stock.reference_price
        assert reference is not None  # only priced stocks were chosen
        lot = rng.choice([10, 20, 25, 50, 100]) * stock.lot_size
        duration = settings.AUCTION_DURATION_SECONDS
        if missing == lots:  # a cold start: spread the ends over one auction's length
            duration = duration * (opened + 1) // lots
        auction_create(
            seller=None,
            symbol=stock.symbol,
            qty=lot,
            reserve_price=max(
                stock.tick_size, _on_tick(reference * Decimal("0.97"), stock.tick_size)
            ),
            start_price=max(
                stock.tick_size, _on_tick(reference * Decimal("0.90"), stock.tick_size)
            ),
            duration_seconds=max(30, duration),
        )
        opened += 1
    return opened


def demo_auctions_sweep() -> dict[str, int]:
    """The auction sweep's hook (AUCTION_SWEEP_HOOKS): keep AUCTION_DEMO_LOTS house lots
    running, and now and then a demo trader bids."""
    if not settings.AUCTION_DEMO_LOTS:
        return {}
    opened = demo_auctions_keep(lots=settings.AUCTION_DEMO_LOTS)
    return {"demo_opened": opened, "demo_bids": int(demo_bid())}


def demo_bid(*, rng: random.Random | None = None) -> bool:
    """Now and then a demo trader bids a little over the minimum on a live house lot."""
    rng = rng or random.Random()
    if rng.random() > BID_CHANCE:
        return False
    bidders = demo_bidders()
    auctions = list(
        Auction.objects.filter(status=Auction.Status.OPEN, seller__is_house=True).select_related(
            "stock", "leading_bid"
        )
    )
    if not bidders or not auctions:
        return False
    auction = rng.choice(auctions)
    bidder = rng.choice(bidders)
    if auction.leading_bid is not None and auction.leading_bid.bidder_id == bidder.id:
        return False
    reference = auction.stock.reference_price
    if reference is None:
        return False
    # Each demo trader values the lot somewhere around the market and bids that as a maximum
    # (proxy bidding does the rest); a lot already above what they would pay gets no bid.
    tick = auction.stock.tick_size
    value = _on_tick(reference * Decimal(str(round(rng.uniform(0.92, 1.04), 4))), tick)
    price = max(value, rules.min_next_bid(auction.terms, auction.current_price))
    if price > _on_tick(reference * Decimal("1.04"), tick):
        return False
    try:
        auction_bid_place(user=bidder, auction_id=auction.pk, max_price=str(price))
    except DomainError:
        return False
    return True


# ------------------------------------------------------------------ the demo market maker
MAKER = "maker"
# Five levels a side, 0.1% apart, 50 shares more at each step out.
LADDER_STEPS = 5
LADDER_STEP_PCT = Decimal("0.001")
LADDER_STEP_QTY = 50
# Re-quote once the book's mid has drifted this far from the reference price, or when a side
# has lost a level (eaten by traders).
REQUOTE_DRIFT = Decimal("0.0015")


def maker_quote(maker: User, stock: Stock) -> int:
    """Rest the maker's ladder on `stock`; returns how many orders it placed."""
    placed = 0
    for side, price, qty in maker_ladder(stock):
        try:
            order_place(
                user=maker,
                symbol=stock.symbol,
                side=side,
                type="limit",
                time_in_force="gtc",
                qty=qty,
                limit_price=price,
            )
        except DomainError:
            continue  # out of shares or cash on that side, or the band moved: skip it
        placed += 1
    return placed


def maker_ladder(stock: Stock) -> list[tuple[str, Decimal, int]]:
    """(side, price on the tick, qty) of the maker's quotes around the reference price."""
    reference = stock.reference_price
    assert reference is not None
    ladder = []
    for step in range(1, LADDER_STEPS + 1):
        offset = reference * LADDER_STEP_PCT * step
        for side, price in (("buy", reference - offset), ("sell", reference + offset)):
            ticks = (price / stock.tick_size).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
            ladder.append(
                (side, max(stock.tick_size, ticks * stock.tick_size), LADDER_STEP_QTY * step)
            )
    return ladder


def _needs_requote(stock: Stock, orders: list[Order]) -> bool:
    if not orders:
        return True
    reference = stock.reference_price
    assert reference is not None
    sides = {
        "buy": [o for o in orders if o.side == "buy"],
        "sell": [o for o in orders if o.side == "sell"],
    }
    if any(len(quotes) < LADDER_STEPS for quotes in sides.values()):
        return True
    bid = max(o.limit_price for o in sides["buy"] if o.limit_price is not None)
    ask = min(o.limit_price for o in sides["sell"] if o.limit_price is not None)
    return abs((bid + ask) / 2 - reference) / reference > REQUOTE_DRIFT


def demo_maker_requote(*, symbols: list[str] | None = None) -> int:
    """Cancel and re-place the maker's ladder on each stock it quotes whose quotes drifted from
    the reference price or were eaten; returns how many stocks were re-quoted. Each cancel and
    each order is its own transaction, like a bot's over the API: a trader may trade in between.
    """
    maker = User.objects.filter(username=MAKER, is_active=True).first()
    if maker is None:
        return 0
    open_orders = Order.objects.filter(user=maker, status__in=OPEN_STATUSES).select_related("stock")
    stock_ids = set(open_orders.values_list("stock_id", flat=True))
    # Stocks it quoted once and whose ladder was eaten whole still get quotes.
    stock_ids |= set(Order.objects.filter(user=maker).values_list("stock_id", flat=True).distinct())
    stocks = Stock.objects.filter(id__in=stock_ids, status="active", reference_price__isnull=False)
    if symbols is not None:
        stocks = stocks.filter(symbol__in=symbols)
    by_stock: dict[int, list[Order]] = {}
    for order in open_orders:
        by_stock.setdefault(order.stock_id, []).append(order)
    requoted = 0
    for stock in stocks:
        orders = by_stock.get(stock.id, [])
        if not _needs_requote(stock, orders):
            continue
        for order in orders:
            with contextlib.suppress(DomainError):  # filled or canceled meanwhile
                order_cancel(user=maker, order_id=order.pk)
        maker_quote(maker, stock)
        requoted += 1
    return requoted


MAKER_SHARES = 20_000


def demo_maker_open(*, symbol: str) -> int:
    """The maker quotes `symbol` (shares granted first if it has none), unless its ladder is
    there already; from then on it follows the price like its other stocks. Returns how many
    orders it placed."""
    maker = User.objects.filter(username=MAKER, is_active=True).first()
    stock = Stock.objects.filter(
        symbol=symbol, status="active", reference_price__isnull=False
    ).first()
    if maker is None or stock is None:
        return 0
    if Order.objects.filter(user=maker, stock=stock, status__in=OPEN_STATUSES).exists():
        return 0
    if not Position.objects.filter(user=maker, stock=stock, qty__gt=0).exists():
        position_grant(user=maker, symbol=stock.symbol, qty=MAKER_SHARES, memo="Demo shares")
    return maker_quote(maker, stock)
