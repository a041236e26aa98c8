"""Placing and replacing orders: validate, match, settle, write — in one transaction.

`order_place` matches and settles in memory first, then writes: the order, trades, ledger rows,
positions, reservations, and only then cash (the database checks reserved <= cash on every row
it updates). Stream messages go out after the commit (see `trading.events`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Account, User
from core import words
from core.db import Prepared
from marketdata.models import Stock
from trading import engine
from trading.engine.orders import OrderId
from trading.errors import TradingError
from trading.events import MarketEvents
from trading.models import OPEN_STATUSES, BookState, Order, Position, Side
from trading.pricing import (
    band,
    reservation,
    to_ticks,
)
from trading.selectors import order_get_own, trading_suspended
from trading.services.book_levels import resting_price
from trading.services.locks import book_lock, book_lock_for_symbol
from trading.services.parsing import is_blank, parse_choice, parse_price, parse_qty
from trading.services.placement import (
    Placement,
    insufficient_qty,
    lock_parties,
    settle,
    write,
)

_FIRST_CHUNK = 8
_MAX_CHUNK = 512


def order_place(
    *,
    user: User,
    symbol: str,
    side: str,
    type: str,
    time_in_force: str,
    qty: object,
    limit_price: object = None,
    client_order_id: str | None = None,
    replaces: Order | None = None,
    unfillable_fok: Literal["refuse", "cancel"] = "refuse",
) -> Order:
    """Validate, reserve, match and settle an order in one transaction; returns it as stored.

    `replaces` is for `order_replace` only: an open order of the same user, symbol and side,
    locked by the caller, that this order cancels and takes the place of. A fill-or-kill order
    the book cannot fill whole is refused (`fok_not_fillable`), or with `unfillable_fok="cancel"`
    (Alpaca's way) stored canceled with nothing traded, as an unfilled IOC order is. A user who
    suspended their own trading (`TradingConfiguration.suspend_trade`) is refused, by every door.
    """
    if trading_suspended(user=user):
        raise TradingError(
            "trading_suspended", "Trading is suspended by your account's configuration."
        )
    request = _OrderRequest.parse(
        side=side,
        type=type,
        time_in_force=time_in_force,
        limit_price=limit_price,
        client_order_id=client_order_id,
    )
    symbol = str(symbol or "").strip().upper()
    try:
        with transaction.atomic():
            return _place_locked(user, symbol, request, qty, limit_price, replaces, unfillable_fok)
    except IntegrityError as exc:
        # The unique constraint is the duplicate check: two orders with one client_order_id
        # on two symbols run in parallel (each under its own symbol's lock), so a look-up
        # first would not be enough anyway, and this saves a query per order.
        if "client_order_id" not in str(exc):
            raise
        raise TradingError(
            "duplicate_client_order_id",
            "Another of your orders already has this client order id.",
            fields={"client_order_id": ["Already used."]},
        ) from None


@dataclass(frozen=True)
class _OrderRequest:
    """The parts of an order that need no stock to check."""

    side: str
    type: str
    tif: str
    client_order_id: str | None

    @classmethod
    def parse(
        cls,
        *,
        side: str,
        type: str,
        time_in_force: str,
        limit_price: object,
        client_order_id: str | None,
    ) -> _OrderRequest:
        side = parse_choice(side, Side.values, "side")
        order_type = parse_choice(type, Order.Type.values, "type")
        tif = parse_choice(time_in_force, Order.TimeInForce.values, "time_in_force")
        if client_order_id is not None:
            client_order_id = str(client_order_id).strip()
            if not client_order_id or len(client_order_id) > 128:
                raise TradingError(
                    "invalid_client_order_id",
                    "The client order id must be 1 to 128 characters.",
                    fields={"client_order_id": ["1 to 128 characters."]},
                )
        if order_type == "market" and not is_blank(limit_price):
            raise TradingError(
                "limit_price_not_allowed",
                "A market order takes no limit price.",
                fields={"limit_price": ["Not allowed for market orders."]},
            )
        if order_type == "limit" and is_blank(limit_price):
            raise TradingError(
                "limit_price_required",
                "A limit order needs a limit price.",
                fields={"limit_price": ["Required."]},
            )
        return cls(side, order_type, tif, client_order_id)


def _place_locked(
    user: User,
    symbol: str,
    request: _OrderRequest,
    qty: object,
    limit_price: object,
    replaces: Order | None,
    unfillable_fok: Literal["refuse", "cancel"] = "refuse",
) -> Order:
    """order_place's transaction: lock and validate, match, then settle and write."""
    state = book_lock_for_symbol(symbol)
    validated = _validated_order(state, user, request, qty, limit_price, replaces)
    placement = _match(state, validated, unfillable_fok)
    if placement.result.rests and not placement.makers and replaces is None:
        return _rest_untouched(placement, user)
    lock_parties(placement, user)
    settle(placement)
    return write(placement)


def _validated_order(
    state: BookState,
    user: User,
    request: _OrderRequest,
    qty: object,
    limit_price: object,
    replaces: Order | None,
) -> tuple[Order, Decimal]:
    """The order as it will be stored, and the price it may match at; refusals raise."""
    stock = state.stock  # read under the lock: a halt that just landed is seen
    qty_int = parse_qty(qty, stock.lot_size)
    price = parse_price(limit_price, stock) if request.type == "limit" else None
    if stock.is_halted:
        raise TradingError("symbol_halted", f"Trading in {stock.symbol} is halted.")
    low, high = _price_band(stock, state)
    if price is not None and not (low <= price <= high):
        raise TradingError(
            "price_outside_band",
            f"The limit price must be between {words.price(low, stock.tick_size)} and "
            f"{words.price(high, stock.tick_size)} (within {stock.band_pct * 100:.0f}% of the "
            "reference price).",
            fields={
                "limit_price": [
                    f"Between {words.price(low, stock.tick_size)} and "
                    f"{words.price(high, stock.tick_size)}."
                ]
            },
        )
    state.order_seq += 1
    order = Order(
        user=user,
        stock=stock,
        side=request.side,
        type=request.type,
        time_in_force=request.tif,
        limit_price=price,
        qty=qty_int,
        client_order_id=request.client_order_id or str(uuid.uuid4()),
        seq=state.order_seq,
        replaces=replaces,
    )
    # A market order is protected by the band: it trades no worse than the band's edge.
    match_price = price if price is not None else (high if request.side == "buy" else low)
    return order, match_price


def _price_band(stock: Stock, state: BookState) -> tuple[Decimal, Decimal]:
    reference = stock.reference_price or state.last_price
    if not reference:
        raise TradingError(
            "no_reference_price", f"{stock.symbol} has no price yet: try again in a minute."
        )
    return band(reference, stock.band_pct, stock.tick_size)


def _match(
    state: BookState,
    validated: tuple[Order, Decimal],
    unfillable_fok: Literal["refuse", "cancel"] = "refuse",
) -> Placement:
    """Hand the order and the crossing resting orders to the engine."""
    order, match_price = validated
    if order.type == "limit":
        engine_tif = order.time_in_force
    else:
        engine_tif = engine.FOK if order.time_in_force == "fok" else engine.IOC
    loaded: dict[OrderId, Order] = {}
    opposite = "sell" if order.side == "buy" else "buy"
    result = engine.match(
        engine.IncomingOrder(
            order.id, order.user_id, order.side, to_ticks(match_price), order.qty, engine_tif
        ),
        _resting_iter(state.stock, opposite, match_price, loaded),
    )
    # A rejected FOK traded nothing and touched no resting order: kept, it settles as an IOC
    # order that found nothing (reserved, then released, and canceled).
    if result.rejected and unfillable_fok != "cancel":
        raise TradingError(
            "fok_not_fillable",
            "Fill or kill: the book cannot fill all of it at its price, so nothing was traded.",
        )
    return Placement(
        state=state,
        order=order,
        match_price=match_price,
        result=result,
        makers={o_id: loaded[o_id] for o_id in result.maker_remaining},
        replaces=order.replaces,
        now=timezone.now(),
        events=MarketEvents(state.stock),
    )


def _crossing(stock_id: int, side: str, limit: Decimal) -> QuerySet[Order]:
    """Open orders on `side` at `limit` or better, in the order they match."""
    qs = Order.objects.filter(stock_id=stock_id, side=side, status__in=OPEN_STATUSES)
    if side == engine.SELL:
        return qs.filter(limit_price__lte=limit).order_by("limit_price", "seq")
    return qs.filter(limit_price__gte=limit).order_by("-limit_price", "seq")


# The first chunk, which is all most orders read, compiled once a side (core.db.Prepared).
_FIRST_CROSSING = {
    side: Prepared(
        lambda stock_id, limit, side=side: _crossing(stock_id, side, limit)[:_FIRST_CHUNK],
        int,
        Decimal,
    )
    for side in (engine.BUY, engine.SELL)
}


def _resting_iter(
    stock: Stock, side: str, limit: Decimal, loaded: dict[OrderId, Order]
) -> Iterator[engine.RestingOrder]:
    """Crossing resting orders on `side`, best price first then oldest, read in chunks.

    Most orders trade with one or two resting orders: the first chunk is small, and each
    next one four times larger, so a sweep deep into the book still takes few queries.
    """
    offset, size = 0, _FIRST_CHUNK
    while True:
        if offset:
            chunk = list(_crossing(stock.pk, side, limit)[offset : offset + size])
        else:
            chunk = _FIRST_CROSSING[side].all(stock.pk, limit)
        for order in chunk:
            loaded[order.id] = order
            yield engine.RestingOrder(
                order.id,
                order.user_id,
                side,
                to_ticks(resting_price(order)),
                order.remaining_qty,
                order.seq,
            )
        if len(chunk) < size:
            return
        offset += size
        size = min(size * 4, _MAX_CHUNK)


def _rest_untouched(p: Placement, user: User) -> Order:
    """The common case, an order that only rests: one conditional UPDATE both checks and
    reserves what it may spend, instead of locking the row, reading it and writing it."""
    order = p.order
    needed = reservation(resting_price(order), order.qty)
    if order.side == "buy":
        accounts.cash_reserve_now(user_id=user.id, amount=needed)
        order.reserved_cash = needed
    else:
        _shares_reserve_now(user, p.stock, order.qty, p.now)
    p.changes.add(order.side, resting_price(order), order.qty, 1)
    return write(p)


def _shares_reserve_now(user: User, stock: Stock, qty: int, now: datetime) -> None:
    """Reserve shares for a resting sell in one UPDATE (the transaction's only position lock)."""
    # Sells need an account too (for the cash they will receive): checked in the same query.
    reserved = Position.objects.filter(
        user_id=user.id,
        stock=stock,
        qty__gte=F("reserved_qty") + qty,
        user__account__isnull=False,
    ).update(reserved_qty=F("reserved_qty") + qty, updated_at=now)
    if not reserved:
        if not Account.objects.filter(user_id=user.id).exists():
            raise accounts.no_account()
        position = Position.objects.filter(user_id=user.id, stock=stock).first()
        raise insufficient_qty(position.available_qty if position else 0, stock)


def order_replace(
    *,
    user: User,
    order_id: object,
    qty: object = None,
    limit_price: object = None,
    time_in_force: str | None = None,
    client_order_id: str | None = None,
) -> Order:
    """Replace an open order by a new one (it loses time priority), atomically."""
    old = order_get_own(user=user, order_id=order_id)
    if is_blank(qty) and is_blank(limit_price) and is_blank(time_in_force):
        raise TradingError(
            "nothing_to_replace", "Give a new quantity, limit price or time in force."
        )
    if old.type == "market" and not is_blank(limit_price):
        raise TradingError("limit_price_not_allowed", "A market order takes no limit price.")
    with transaction.atomic():
        book_lock(old.stock_id)
        old = Order.objects.select_for_update(of=("self",)).select_related("stock").get(pk=old.pk)
        if not old.is_open:
            raise TradingError(
                "order_not_replaceable",
                f"The order is {old.get_status_display().lower()} and can no longer be replaced.",
            )
        # order_place cancels `old` once it holds the accounts' lock; if the new order is
        # refused, this transaction rolls back and `old` stays on the book as it was.
        return order_place(
            user=user,
            symbol=old.stock.symbol,
            side=old.side,
            type=old.type,
            time_in_force=time_in_force or old.time_in_force,
            qty=old.remaining_qty if is_blank(qty) else qty,
            limit_price=old.limit_price if is_blank(limit_price) else limit_price,
            client_order_id=client_order_id,
            replaces=old,
        )
