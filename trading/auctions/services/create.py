"""Offer a lot for auction: the terms checked, the seller's shares reserved until the close."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import services as accounts
from accounts.models import User
from core import words
from marketdata.models import Stock
from trading.auctions.events import AuctionEvents
from trading.auctions.scheduler import close_schedule_on_commit
from trading.errors import TradingError
from trading.models import Auction
from trading.services.locks import book_lock, positions_lock
from trading.services.parsing import parse_price, parse_qty
from trading.services.positions import position_grant


def auction_create(
    *,
    seller: User | None,
    symbol: str,
    qty: object,
    reserve_price: object,
    start_price: object = None,
    duration_seconds: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    increment_rule: str = Auction.Increment.LADDER,
    fixed_increment: object = None,
) -> Auction:
    """Offer a lot: `seller` None is the house (staff), whose lot is granted to it first.

    A user sells shares they hold: they are reserved until the close (not sellable on the book).
    """
    stock = _auctionable(symbol)
    now = timezone.now()
    starts = starts_at or now
    ends = ends_at or starts + timedelta(
        seconds=duration_seconds or settings.AUCTION_DURATION_SECONDS
    )
    auction = Auction(
        stock=stock,
        qty=parse_qty(qty, stock.lot_size),
        reserve_price=parse_price(reserve_price, stock, "reserve_price"),
        start_price=_optional_price(start_price, stock, "start_price") or stock.tick_size,
        increment_rule=increment_rule,
        fixed_increment=_optional_price(fixed_increment, stock, "fixed_increment"),
        starts_at=starts,
        ends_at=ends,
        original_ends_at=ends,
        soft_close_seconds=settings.AUCTION_SOFT_CLOSE_SECONDS,
        max_extension_seconds=settings.AUCTION_MAX_EXTENSION_SECONDS,
        status=Auction.Status.OPEN if starts <= now else Auction.Status.SCHEDULED,
    )
    _check_terms(auction, now)
    with transaction.atomic():
        auction.seller_id = seller.id if seller is not None else accounts.house_account_id()
        if seller is None:
            house = User.objects.get(pk=auction.seller_id)
            position_grant(user=house, symbol=stock.symbol, qty=auction.qty, memo="House lot")
        _reserve_lot(auction)
        events = AuctionEvents(auction)
        events.public("opened" if auction.status == Auction.Status.OPEN else "scheduled")
        auction.save(force_insert=True)
        events.publish_on_commit()
        close_schedule_on_commit(auction)
    return auction


def _auctionable(symbol: object) -> Stock:
    stock = Stock.objects.filter(symbol=str(symbol or "").strip().upper()).first()
    if stock is None:
        raise TradingError(
            "unknown_symbol",
            f"There is no stock {str(symbol or '').strip().upper()!r}.",
            fields={"symbol": ["Unknown."]},
        )
    if stock.is_halted:
        raise TradingError("symbol_halted", f"Trading in {stock.symbol} is halted.")
    return stock


def _optional_price(raw: object, stock: Stock, name: str) -> Decimal | None:
    return None if raw in (None, "") else parse_price(raw, stock, name)


def _check_terms(auction: Auction, now: datetime) -> None:
    """The increment rule and the auction's window."""
    if auction.increment_rule not in Auction.Increment.values:
        raise TradingError(
            "invalid_increment_rule",
            "The increment rule must be ladder or fixed.",
            fields={"increment_rule": ["Invalid choice."]},
        )
    if auction.increment_rule == Auction.Increment.FIXED and auction.fixed_increment is None:
        raise TradingError(
            "fixed_increment_required",
            "A fixed increment rule needs the fixed increment.",
            fields={"fixed_increment": ["Required."]},
        )
    if auction.ends_at <= now or auction.ends_at <= auction.starts_at:
        raise TradingError(
            "invalid_end",
            "The auction must end in the future, after it starts.",
            fields={"ends_at": ["In the past."]},
        )
    if auction.ends_at - auction.starts_at > timedelta(days=30):
        raise TradingError(
            "invalid_end", "An auction runs at most 30 days.", fields={"ends_at": ["Too far."]}
        )


def _reserve_lot(auction: Auction) -> None:
    """Reserve the seller's shares for the auction's lifetime (under the stock's book lock)."""
    stock = auction.stock
    book_lock(stock.pk)
    position = positions_lock(stock, {auction.seller_id})[auction.seller_id]
    if position.available_qty < auction.qty:
        raise TradingError(
            "insufficient_qty",
            f"You have {words.shares(position.available_qty, stock.symbol)} free to sell (shares "
            "in open sell orders are held).",
            fields={"qty": [f"At most {position.available_qty}."]},
        )
    position.reserved_qty += auction.qty
    position.save(update_fields=["reserved_qty", "updated_at"])
