"""Placing and replacing orders: validate, match, settle, write — in one transaction.

`order_place` matches and settles in memory first, then writes: the order, trades, ledger rows,
positions, reservations, and only then cash (the database checks reserved <= cash on every row
it updates). Stream messages go out after the commit (see `trading.events`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Account, User
from core import words
from core.db import Prepared, rows_update
from marketdata.models import Stock
from trading import engine
from trading.engine.orders import OrderId
from trading.errors import TradingError
from trading.events import MarketEvents
from trading.models import OPEN_STATUSES, BookState, Order, Position, Side, Trade
from trading.pricing import (
    band,
    fee,
    from_ticks,
    maker_fee_bps,
    reservation,
    taker_fee_bps,
    to_ticks,
)
from trading.selectors import order_get_own, trading_suspended
from trading.services.book_levels import BookChanges, book_changes_apply, resting_price
from trading.services.locks import book_lock, book_lock_for_symbol, positions_lock
from trading.services.parsing import is_blank, parse_choice, parse_price, parse_qty
from trading.services.settlement import Ledger, Party, fill_settle

# A position's qty, reserved qty, average cost and realized P&L: changed if this changed.
_PositionKey = tuple[int, int, Decimal, Decimal]

_FIRST_CHUNK = 8
_MAX_CHUNK = 512
ORDER_FILL_FIELDS = [
    "filled_qty",
    "filled_notional",
    "filled_avg_price",
    "fees",
    "reserved_cash",
    "status",
    "reason",
    "filled_at",
    "canceled_at",
    "replaced_at",
    "updated_at",
]


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


@dataclass
class _Placement:
    """One placement in progress: the order, what it matched, and what it changes."""

    state: BookState
    order: Order
    match_price: Decimal
    result: engine.MatchResult
    makers: dict[OrderId, Order]  # by the ids the engine was given and hands back
    replaces: Order | None
    now: datetime
    events: MarketEvents
    changes: BookChanges = field(default_factory=BookChanges)
    ledger: Ledger = field(default_factory=Ledger)
    accounts: dict[int, Account] = field(default_factory=dict)
    positions: dict[int, Position] = field(default_factory=dict)
    balances_before: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)
    positions_before: dict[int, _PositionKey] = field(default_factory=dict)
    house_id: int | None = None
    # A market buy: what each of its fills, still to be settled, costs with fees at most.
    walk: list[Decimal] | None = None

    @property
    def stock(self) -> Stock:
        return self.state.stock


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
    _lock_parties(placement, user)
    _settle(placement)
    return _write(placement)


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
) -> _Placement:
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
    return _Placement(
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


def _rest_untouched(p: _Placement, user: User) -> Order:
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
    return _write(p)


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


def insufficient_qty(available: int, stock: Stock) -> TradingError:
    return TradingError(
        "insufficient_qty",
        f"You have {words.shares(available, stock.symbol)} free to sell (shares in open sell "
        "orders are held).",
        fields={"qty": [f"At most {available}."]},
    )


def _lock_parties(p: _Placement, user: User) -> None:
    """Lock who is involved: accounts (one query, ascending id), then positions."""
    result = p.result
    fees_due = (maker_fee_bps() or taker_fee_bps()) and result.fills
    house_id = accounts.house_account_id() if fees_due else None
    traders = {p.makers[f.maker_order_id].user_id for f in result.fills}
    p.accounts = accounts.accounts_lock({user.id, *traders, *([house_id] if house_id else [])})
    if user.id not in p.accounts:
        raise accounts.no_account()
    # A buy that neither trades nor cancels a resting sell of its owner touches no shares.
    if p.order.side == "sell" or result.fills or result.self_trade_cancels:
        traders.add(user.id)
    p.positions = positions_lock(p.stock, traders)
    p.balances_before = accounts.balances(p.accounts)
    p.positions_before = {uid: _position_key(pos) for uid, pos in p.positions.items()}
    p.house_id = house_id


def _position_key(position: Position) -> _PositionKey:
    return (position.qty, position.reserved_qty, position.avg_cost, position.realized_pl)


def _settle(p: _Placement) -> None:
    """Settle in memory; nothing is written until every refusal has had its chance."""
    order, account = p.order, p.accounts[p.order.user_id]
    position = p.positions.get(order.user_id)
    if p.replaces is not None:
        # The replaced order is cancelled here, under the one account lock above, and not by
        # the caller first: a second, later account lock in the same transaction could take
        # locks out of ascending order and deadlock with an order on another symbol.
        _cancel_in_place(p, p.replaces, reason="replaced")
        p.replaces.status, p.replaces.replaced_at = Order.Status.REPLACED, p.now
        p.events.order_ended(p.replaces, "replaced")
    # Reserve what the whole order may spend, before any fill is settled. A market buy spends
    # what the walk of the book the engine just did costs (its fills, each with the fee cap),
    # not its quantity at the band's edge: the rest of it is cancelled, never rests.
    if order.side == "buy":
        if order.type == "market":
            p.walk = [reservation(from_ticks(f.price), f.qty) for f in p.result.fills]
            needed = sum(p.walk, Decimal("0"))
        else:
            needed = reservation(p.match_price, order.qty)
        accounts.cash_reserve(account=account, amount=needed)
        order.reserved_cash = needed
    else:
        assert position is not None  # a seller's position is locked, created if missing
        if position.available_qty < order.qty:
            raise insufficient_qty(position.available_qty, p.stock)
        position.reserved_qty += order.qty
    # Self-trade prevention: the engine removed the taker's own resting orders.
    for cancel in p.result.self_trade_cancels:
        mine = p.makers[cancel.order_id]
        _cancel_in_place(p, mine, reason="self_trade_prevention", qty=cancel.qty)
        p.events.order_ended(mine, "canceled")
    for fill in p.result.fills:
        _settle_fill(p, fill)
    _finish_taker(p, account, position)


def _settle_fill(p: _Placement, fill: engine.Fill) -> None:
    order, maker, now = p.order, p.makers[fill.maker_order_id], p.now
    price = from_ticks(fill.price)
    notional = price * fill.qty
    taker_buys = order.side == "buy"
    buy, sell = (order, maker) if taker_buys else (maker, order)
    buy_bps, sell_bps = (taker_fee_bps(), maker_fee_bps())
    if not taker_buys:
        buy_bps, sell_bps = sell_bps, buy_bps
    buyer_fee, seller_fee = fee(notional, buy_bps), fee(notional, sell_bps)
    state = p.state
    state.trade_seq += 1
    trade = Trade(
        stock=p.stock,
        seq=state.trade_seq,
        price=price,
        qty=fill.qty,
        buy_order=buy,
        sell_order=sell,
        buyer_id=buy.user_id,
        seller_id=sell.user_id,
        maker_side=maker.side,
        buyer_fee=buyer_fee,
        seller_fee=seller_fee,
        executed_at=now,
    )
    p.events.trades.append(trade)
    _record_fill(buy, fill.qty, price, buyer_fee, now)
    _record_fill(sell, fill.qty, price, seller_fee, now)
    # The buyer's reservation shrinks to what the rest of the order needs.
    if buy is order and p.walk is not None:
        p.walk.pop(0)  # this fill's share of a market buy's walk
        _sync_buy_reservation(buy, p.accounts[buy.user_id], walk=p.walk)
    else:
        _sync_buy_reservation(buy, p.accounts[buy.user_id], p.match_price if buy is order else None)
    fill_settle(
        stock=p.stock,
        reference=f"trade:{p.stock.symbol}:{trade.seq}",
        price=price,
        qty=fill.qty,
        buyer=Party(p.accounts[buy.user_id], p.positions[buy.user_id]),
        seller=Party(p.accounts[sell.user_id], p.positions[sell.user_id]),
        buyer_fee=buyer_fee,
        seller_fee=seller_fee,
        house=p.accounts.get(p.house_id) if p.house_id else None,
        ledger=p.ledger,
    )
    p.changes.add(
        maker.side,
        resting_price(maker),
        -fill.qty,
        -1 if maker.status == Order.Status.FILLED else 0,
    )
    p.events.order_filled(maker)
    state.last_price, state.last_trade_at = price, now


def _finish_taker(p: _Placement, account: Account, position: Position | None) -> None:
    """What is left of the incoming order rests, or is cancelled (IOC, market)."""
    order, result = p.order, p.result
    if result.rests:
        p.changes.add(order.side, resting_price(order), result.remaining, 1)
    elif result.remaining:
        order.status = Order.Status.CANCELED
        order.canceled_at = p.now
        if order.time_in_force == "fok":
            order.reason = "fok_not_fillable"
        else:
            order.reason = "market_remainder" if order.type == "market" else "ioc_remainder"
        if order.side == "sell":
            assert position is not None  # a seller's position is locked, created if missing
            position.reserved_qty -= result.remaining
    # A buy resting holds what its remainder needs; filled or cancelled, it releases the rest
    # (price improvement, the unused fee cap, the unfilled part).
    _sync_buy_reservation(order, account)


def _record_fill(order: Order, qty: int, price: Decimal, fee_paid: Decimal, now: datetime) -> None:
    order.filled_qty += qty
    order.filled_notional += price * qty
    order.fees += fee_paid
    order.filled_avg_price = (order.filled_notional / order.filled_qty).quantize(Decimal("0.0001"))
    if order.filled_qty == order.qty:
        order.status = Order.Status.FILLED
        order.filled_at = now
    else:
        order.status = Order.Status.PARTIALLY_FILLED


def _sync_buy_reservation(
    order: Order,
    account: Account,
    basis: Decimal | None = None,
    *,
    walk: list[Decimal] | None = None,
) -> None:
    """Set a buy's reservation to what its remaining quantity needs; move the difference.

    `basis` is the price an order without a limit reserves at while it matches; a market buy
    passes instead the `walk` of its fills still to settle.
    """
    if order.side != "buy":
        return
    needed = Decimal("0")
    if order.is_open and walk is not None:
        needed = sum(walk, Decimal("0"))
    elif order.is_open:
        price = order.limit_price or basis
        assert price is not None  # an open market order is still matching, at `basis`
        needed = reservation(price, order.remaining_qty)
    change = needed - order.reserved_cash
    if change > 0:
        accounts.cash_reserve(account=account, amount=change)
    else:
        accounts.cash_release(account=account, amount=-change)
    order.reserved_cash = needed


def _cancel_in_place(p: _Placement, order: Order, *, reason: str, qty: int | None = None) -> None:
    """Cancel an open order whose account (buy) or position (sell) is locked here."""
    remaining = order.remaining_qty
    p.changes.add(order.side, resting_price(order), -(qty or remaining), -1)
    order.status = Order.Status.CANCELED
    order.canceled_at = p.now
    order.reason = reason
    if order.side == "buy":
        _sync_buy_reservation(order, p.accounts[order.user_id])
    else:
        p.positions[order.user_id].reserved_qty -= remaining


POSITION_FIELDS = ["qty", "reserved_qty", "avg_cost", "realized_pl", "updated_at"]


def _write(p: _Placement) -> Order:
    """Write what was settled in memory, in an order every CHECK constraint accepts."""
    order, now = p.order, p.now
    # The order first: a duplicate client_order_id fails here, before anything else is written.
    others = [*p.makers.values(), *([p.replaces] if p.replaces is not None else [])]
    for other in others:
        other.updated_at = now
    if others:
        # One statement: the new order inserted, the orders it filled (or replaces) updated
        # through the conflict on their ids. A duplicate client_order_id fails it all.
        Order.objects.bulk_create(
            [order, *others],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=ORDER_FILL_FIELDS,
        )
    else:
        order.save(force_insert=True)
    moved = [
        pos for uid, pos in p.positions.items() if _position_key(pos) != p.positions_before[uid]
    ]
    rows_update(moved, POSITION_FIELDS)
    p.events.positions = {uid: pos.qty for uid, pos in p.positions.items()}
    # Each account once, cash and reservation together (see accounts.services.accounts_save),
    # then the trades and the ledgers' entries in one insert.
    p.ledger.write(p.accounts, p.balances_before, p.events.trades)
    p.events.levels = book_changes_apply(p.state, p.changes)
    rows_update([p.state], ["book_seq", "trade_seq", "order_seq", "last_price", "last_trade_at"])
    if p.events.trades:
        p.events.order_filled(order, first=True)
    else:
        p.events.order_accepted(order)
    p.events.publish_on_commit()
    return order


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
