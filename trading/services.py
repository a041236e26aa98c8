"""Writes on orders, trades and positions: place, cancel, replace, expire, settle.

Every service here runs in one database transaction and takes its locks in one order, so
concurrent calls from any number of web and worker processes can neither deadlock each other
nor spend the same dollar or share twice:

1. the symbol's `BookState` row (serializes matching on one symbol; symbols run in parallel);
2. the accounts involved, in ascending id order, in one query — once per transaction: a
   second account lock later in the same transaction could come out of order (a replace
   therefore cancels its old order inside `order_place`, under that one lock);
3. the positions involved, in ascending id order, in one query.

Orders, book levels and positions of a symbol change only under its book lock. Where one
row is all a transaction needs (an order that only rests, a cancel), a relative UPDATE
takes that row's lock directly: with a single row there is no order to break.

`order_place` matches and settles in memory first, then writes: the order, trades, ledger
rows, positions, reservations, and only then cash (the database checks reserved <= cash on
every row it updates). Side effects (stream messages) are scheduled with
`transaction.on_commit`, so a rolled-back order is never announced.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Account, CashEntry, User
from accounts.services import cash_post
from marketdata.models import Stock
from trading import broadcast, engine
from trading.errors import TradingError
from trading.models import OPEN_STATUSES, BookLevel, BookState, Order, Position, ShareEntry, Trade
from trading.pricing import (
    CENT,
    PRICE_UNIT,
    band,
    fee,
    from_ticks,
    maker_fee_bps,
    reservation,
    taker_fee_bps,
    to_ticks,
)

AVG_COST_UNIT = Decimal("0.00000001")
MAX_QTY = 10_000_000
MAX_PRICE = Decimal("1000000")
_FIRST_CHUNK = 8
_MAX_CHUNK = 512


# --------------------------------------------------------------------------- validation
def _parse_qty(raw, lot_size: int) -> int:
    try:
        qty = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise TradingError(
            "invalid_qty", "qty must be a number.", fields={"qty": ["Not a number."]}
        ) from None
    if not qty.is_finite():
        raise TradingError(
            "invalid_qty", "qty must be a finite number.", fields={"qty": ["Not finite."]}
        )
    if qty <= 0:
        raise TradingError(
            "invalid_qty", "qty must be positive.", fields={"qty": ["Must be positive."]}
        )
    if qty != qty.to_integral_value():
        raise TradingError(
            "invalid_qty",
            "qty must be a whole number of shares.",
            fields={"qty": ["Whole shares only."]},
        )
    if qty > MAX_QTY:
        raise TradingError(
            "invalid_qty", f"qty may be at most {MAX_QTY:,}.", fields={"qty": ["Too large."]}
        )
    qty_int = int(qty)
    if qty_int % lot_size:
        raise TradingError(
            "invalid_qty",
            f"qty must be a multiple of the lot size {lot_size}.",
            fields={"qty": [f"Multiple of {lot_size}."]},
        )
    return qty_int


def _parse_price(raw, stock: Stock, name: str = "limit_price") -> Decimal:
    try:
        price = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise TradingError(
            "invalid_price", f"{name} must be a number.", fields={name: ["Not a number."]}
        ) from None
    if not price.is_finite():
        raise TradingError(
            "invalid_price", f"{name} must be a finite number.", fields={name: ["Not finite."]}
        )
    if price <= 0:
        raise TradingError(
            "invalid_price", f"{name} must be positive.", fields={name: ["Must be positive."]}
        )
    if price > MAX_PRICE:
        raise TradingError("invalid_price", f"{name} is too large.", fields={name: ["Too large."]})
    if price != price.quantize(PRICE_UNIT) or price % stock.tick_size:
        raise TradingError(
            "invalid_price",
            f"{name} must be a multiple of the tick size {stock.tick_size.normalize()}.",
            fields={name: [f"Multiple of {stock.tick_size.normalize()}."]},
        )
    return price.quantize(PRICE_UNIT)


def _check_enum(value, allowed: Iterable[str], name: str) -> str:
    value = str(value or "").strip().lower()
    allowed = list(allowed)
    if value not in allowed:
        raise TradingError(
            f"invalid_{name}",
            f"{name} must be one of: {', '.join(allowed)}.",
            fields={name: ["Invalid choice."]},
        )
    return value


def _price_band(stock: Stock, state: BookState) -> tuple[Decimal, Decimal]:
    reference = stock.reference_price or state.last_price
    if not reference:
        raise TradingError(
            "no_reference_price", f"{stock.symbol} has no reference price yet; try later."
        )
    return band(reference, stock.band_pct, stock.tick_size)


# --------------------------------------------------------------------------- locking
def _lock_book(stock_id: int) -> BookState:
    """Lock the symbol's book state row, creating it on first use."""
    # `of=("self",)`: lock only the book state. Locking the joined stock row too would make
    # every insert that references the stock (orders, trades, price history) wait for it.
    locked = BookState.objects.select_for_update(of=("self",)).select_related("stock")
    state = locked.filter(stock_id=stock_id).first()
    if state is not None:
        return state
    try:
        with transaction.atomic():
            BookState.objects.get_or_create(stock_id=stock_id)
    except IntegrityError:  # created concurrently by another transaction: fine
        pass
    return locked.get(stock_id=stock_id)


def _lock_accounts(user_ids: Iterable[int]) -> dict[int, Account]:
    # One query, ascending id: every transaction takes account locks in the same order.
    accounts = Account.objects.select_for_update().filter(user_id__in=set(user_ids)).order_by("id")
    return {a.user_id: a for a in accounts}


def _lock_positions(stock: Stock, user_ids: Iterable[int]) -> dict[int, Position]:
    """Lock the users' positions in one stock (ascending id), creating missing ones."""
    user_ids = set(user_ids)
    if not user_ids:
        return {}
    locked = Position.objects.select_for_update().filter(stock=stock).order_by("id")
    positions = {p.user_id: p for p in locked.filter(user_id__in=user_ids)}
    missing = user_ids - set(positions)
    if missing:
        # Positions are created only under the symbol's lock, which the caller holds, so these
        # plain inserts cannot collide; the new rows are this transaction's until it commits.
        Position.objects.bulk_create([Position(user_id=u, stock=stock) for u in missing])
        positions.update({p.user_id: p for p in locked.filter(user_id__in=missing)})
    return positions


def _house_user_id() -> int:
    """The fee account's user: the one `is_house` user, created on the first fee if missing."""
    house = User.objects.filter(is_house=True).values_list("id", flat=True).first()
    if house is not None:
        return house
    # Never "the user called house": anybody may have signed up under that name.
    for username in ("house", f"house-{uuid.uuid4().hex[:8]}"):
        try:
            # A savepoint: two first fee-paying trades on two symbols may both get here;
            # the loser's insert fails on the one-house-user constraint and it uses the winner.
            with transaction.atomic():
                house_user = User.objects.create(username=username, is_house=True, is_active=False)
                Account.objects.create(user=house_user, account_number="BK0000000000")
                return house_user.id
        except IntegrityError:
            house = User.objects.filter(is_house=True).values_list("id", flat=True).first()
            if house is not None:
                return house
    raise RuntimeError("could not create the house account")


# --------------------------------------------------------------------------- book levels
@dataclass
class _BookChanges:
    """Per-level quantity and order-count changes of one transaction, applied at the end."""

    qty: dict[tuple[str, Decimal], int] = field(default_factory=lambda: defaultdict(int))
    orders: dict[tuple[str, Decimal], int] = field(default_factory=lambda: defaultdict(int))

    def add(self, side: str, price: Decimal, qty: int, orders: int = 0) -> None:
        self.qty[(side, price)] += qty
        self.orders[(side, price)] += orders


def _apply_book_changes(state: BookState, changes: _BookChanges) -> list[dict]:
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
    deltas = []
    with connection.cursor() as cursor:
        for side, price in touched:
            dq, dn = changes.qty[(side, price)], changes.orders[(side, price)]
            key = [stock_id, side, price]
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
                cursor.execute(
                    f"UPDATE {table} SET {qty_col} = {qty_col} + %s, "
                    f"{orders_col} = {orders_col} + %s WHERE {where} AND {qty_col} + %s > 0 "
                    f"RETURNING {qty_col}, {orders_col}",
                    [dq, dn, *key, dq],
                )
                row = cursor.fetchone()
                if row is not None:
                    qty, orders = row
                else:
                    cursor.execute(
                        f"DELETE FROM {table} WHERE {where} AND {qty_col} + %s = 0 "
                        f"AND {orders_col} + %s = 0 RETURNING {qty_col}",
                        [*key, dq, dn],
                    )
                    if cursor.fetchone() is None:
                        raise RuntimeError(
                            f"book level {state.stock.symbol} {side} {price} cannot take "
                            f"{dq:+} shares / {dn:+} orders"
                        )
                    qty = orders = 0
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


# --------------------------------------------------------------------------- placing
@dataclass
class _Settlement:
    """What a transaction did, collected for the stream messages sent after commit."""

    trades: list[Trade] = field(default_factory=list)
    orders: dict[uuid.UUID, Order] = field(default_factory=dict)
    events: list[tuple[str, Order]] = field(default_factory=list)


def _resting_iter(
    stock: Stock, side: str, limit: Decimal, loaded: dict[uuid.UUID, Order]
) -> Iterator[engine.RestingOrder]:
    """Crossing resting orders on `side`, best price first then oldest, read in chunks.

    Most orders trade with one or two resting orders: the first chunk is small, and each
    next one four times larger, so a sweep deep into the book still takes few queries.
    """
    qs = Order.objects.filter(stock=stock, side=side, status__in=OPEN_STATUSES)
    if side == engine.SELL:
        qs = qs.filter(limit_price__lte=limit).order_by("limit_price", "seq")
    else:
        qs = qs.filter(limit_price__gte=limit).order_by("-limit_price", "seq")
    offset, size = 0, _FIRST_CHUNK
    while True:
        chunk = list(qs[offset : offset + size])
        for order in chunk:
            loaded[order.id] = order
            yield engine.RestingOrder(
                order.id,
                order.user_id,
                side,
                to_ticks(order.limit_price),
                order.remaining_qty,
                order.seq,
            )
        if len(chunk) < size:
            return
        offset += size
        size = min(size * 4, _MAX_CHUNK)


def _sync_buy_reservation(order: Order, account: Account, basis: Decimal | None = None) -> None:
    """Set a buy's reservation to what its remaining quantity needs; move the difference.

    `basis` is the price a market order reserves at (the band's upper edge) while it matches.
    """
    if order.side != "buy":
        return
    price = order.limit_price or basis
    needed = reservation(price, order.remaining_qty) if order.is_open else Decimal("0")
    account.reserved_cash += needed - order.reserved_cash
    order.reserved_cash = needed


def _record_fill(order: Order, qty: int, price: Decimal, fee_paid: Decimal, now) -> None:
    order.filled_qty += qty
    order.filled_notional += price * qty
    order.fees += fee_paid
    order.filled_avg_price = (order.filled_notional / order.filled_qty).quantize(PRICE_UNIT)
    if order.filled_qty == order.qty:
        order.status = Order.Status.FILLED
        order.filled_at = now
    else:
        order.status = Order.Status.PARTIALLY_FILLED


def _move_shares(
    position: Position, qty: int, *, kind: str, reference: str, memo: str = ""
) -> None:
    """Move shares in or out of a locked position and write the ledger row now (grants)."""
    position.qty += qty
    ShareEntry.objects.create(
        user_id=position.user_id,
        stock_id=position.stock_id,
        kind=kind,
        qty=qty,
        balance_after=position.qty,
        reference=reference,
        memo=memo,
    )


def _share_entry(position: Position, qty: int, *, reference: str) -> ShareEntry:
    """Move shares in or out of a locked position; returns the (unsaved) ledger row."""
    position.qty += qty
    return ShareEntry(
        user_id=position.user_id,
        stock_id=position.stock_id,
        kind=ShareEntry.Kind.TRADE,
        qty=qty,
        balance_after=position.qty,
        reference=reference,
    )


@dataclass
class _CashMove:
    account: Account
    amount: Decimal
    kind: str
    reference: str
    memo: str


def _lock_book_for_symbol(symbol: str) -> BookState:
    """Find and lock a symbol's book in one query (the order path's first statement)."""
    state = (
        BookState.objects.select_for_update(of=("self",))
        .select_related("stock")
        .filter(stock__symbol=symbol)
        .first()
    )
    if state is not None:
        return state
    stock_id = Stock.objects.filter(symbol=symbol).values_list("pk", flat=True).first()
    if stock_id is None:
        raise TradingError(
            "unknown_symbol", f"Unknown symbol {symbol!r}.", fields={"symbol": ["Unknown."]}
        )
    return _lock_book(stock_id)


_ORDER_FILL_FIELDS = [
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
    qty,
    limit_price=None,
    client_order_id: str | None = None,
    replaces: Order | None = None,
) -> Order:
    """Validate, reserve, match and settle an order in one transaction; returns it as stored.

    `replaces` is for `order_replace` only: an open order of the same user, symbol and side,
    locked by the caller, that this order cancels and takes the place of.
    """
    side = _check_enum(side, ("buy", "sell"), "side")
    order_type = _check_enum(type, ("market", "limit"), "type")
    tif = _check_enum(time_in_force, ("day", "gtc", "ioc", "fok"), "time_in_force")
    if client_order_id is not None:
        client_order_id = str(client_order_id).strip()
        if not client_order_id or len(client_order_id) > 128:
            raise TradingError(
                "invalid_client_order_id",
                "client_order_id must be 1 to 128 characters.",
                fields={"client_order_id": ["1 to 128 characters."]},
            )
    if order_type == "market" and limit_price not in (None, ""):
        raise TradingError(
            "limit_price_not_allowed",
            "A market order takes no limit_price.",
            fields={"limit_price": ["Not allowed for market orders."]},
        )
    if order_type == "limit" and limit_price in (None, ""):
        raise TradingError(
            "limit_price_required",
            "A limit order needs a limit_price.",
            fields={"limit_price": ["Required."]},
        )
    symbol = str(symbol or "").strip().upper()
    try:
        with transaction.atomic():
            order = _place_locked(
                user=user,
                symbol=symbol,
                side=side,
                order_type=order_type,
                tif=tif,
                qty=qty,
                limit_price=limit_price,
                client_order_id=client_order_id,
                replaces=replaces,
            )
    except IntegrityError as exc:
        # The unique constraint is the duplicate check: two orders with one client_order_id
        # on two symbols run in parallel (each under its own symbol's lock), so a look-up
        # first would not be enough anyway, and this saves a query per order.
        if "client_order_id" not in str(exc):
            raise
        raise TradingError(
            "duplicate_client_order_id",
            "client_order_id must be unique.",
            status=422,
            fields={"client_order_id": ["Already used."]},
        ) from None
    return order


def _place_locked(
    *,
    user: User,
    symbol: str,
    side: str,
    order_type: str,
    tif: str,
    qty,
    limit_price,
    client_order_id: str | None,
    replaces: Order | None,
) -> Order:
    """order_place's transaction: lock, validate, match, settle in memory, then write."""
    state = _lock_book_for_symbol(symbol)
    stock = state.stock  # read under the lock: a halt that just landed is seen
    qty_int = _parse_qty(qty, stock.lot_size)
    price = _parse_price(limit_price, stock) if order_type == "limit" else None
    if stock.is_halted:
        raise TradingError("symbol_halted", f"Trading in {stock.symbol} is halted.", status=422)
    low, high = _price_band(stock, state)
    if price is not None and not (low <= price <= high):
        raise TradingError(
            "price_outside_band",
            f"limit_price must be between {low} and {high} "
            f"(±{stock.band_pct * 100:.0f}% of the reference price).",
            fields={"limit_price": [f"Between {low} and {high}."]},
        )
    # A market order is protected by the band: it trades no worse than the band's edge.
    match_price = price if price is not None else (high if side == "buy" else low)
    engine_tif = tif if order_type == "limit" else (engine.FOK if tif == "fok" else engine.IOC)

    now = timezone.now()
    state.order_seq += 1
    order = Order(
        user=user,
        stock=stock,
        side=side,
        type=order_type,
        time_in_force=tif,
        limit_price=price,
        qty=qty_int,
        client_order_id=client_order_id or str(uuid.uuid4()),
        seq=state.order_seq,
        replaces=replaces,
    )
    opposite = "sell" if side == "buy" else "buy"
    loaded: dict[uuid.UUID, Order] = {}
    result = engine.match(
        engine.IncomingOrder(order.id, user.id, side, to_ticks(match_price), qty_int, engine_tif),
        _resting_iter(stock, opposite, match_price, loaded),
    )
    if result.rejected:
        raise TradingError(
            "fok_not_fillable",
            "The fill-or-kill order cannot be filled completely at its price; nothing was done.",
            status=422,
        )

    done = _Settlement()
    changes = _BookChanges()
    makers = {o_id: loaded[o_id] for o_id in result.maker_remaining}
    if result.rests and not makers and replaces is None:
        # The common case, an order that only rests: one conditional UPDATE both checks and
        # reserves what it may spend, instead of locking the row, reading it and writing it.
        _reserve_resting(user, stock, order, side, reservation(price, qty_int), now)
        changes.add(side, price, qty_int, 1)
        return _write_and_announce(
            state, order, done, changes, now, makers={}, replaces=None, accounts={}, positions={}
        )

    # ---- lock who is involved: accounts (one query, ascending id), then positions
    maker_bps, taker_bps = maker_fee_bps(), taker_fee_bps()
    house_id = _house_user_id() if (maker_bps or taker_bps) and result.fills else None
    traders = {makers[f.maker_order_id].user_id for f in result.fills}
    accounts = _lock_accounts({user.id, *traders, *([house_id] if house_id else [])})
    account = accounts.get(user.id)
    if account is None:
        raise _no_account()
    # A buy that neither trades nor cancels a resting sell of its owner touches no shares.
    if side == "sell" or result.fills or result.self_trade_cancels:
        traders.add(user.id)
    positions = _lock_positions(stock, traders)
    position = positions.get(user.id)
    before = (
        {uid: a.reserved_cash for uid, a in accounts.items()},
        {uid: _position_key(p) for uid, p in positions.items()},
    )

    # ---- settle in memory; nothing is written until every refusal has had its chance
    if replaces is not None:
        # The replaced order is cancelled here, under the one account lock above, and not by
        # the caller first: a second, later account lock in the same transaction could take
        # locks out of ascending order and deadlock with an order on another symbol.
        changes.add(replaces.side, replaces.limit_price, -replaces.remaining_qty, -1)
        _cancel_in_place(replaces, account, position, reason="replaced", now=now)
        replaces.status, replaces.replaced_at = Order.Status.REPLACED, now
        done.events.append(("replaced", replaces))

    # Reserve what the whole order may spend, before any fill is settled.
    if side == "buy":
        needed = reservation(match_price, qty_int)
        if account.available_cash < needed:
            raise _insufficient_cash(needed, account.available_cash)
        account.reserved_cash += needed
        order.reserved_cash = needed
    else:
        if position.available_qty < qty_int:
            raise _insufficient_qty(position.available_qty, stock)
        position.reserved_qty += qty_int

    # Self-trade prevention: the engine removed the taker's own resting orders.
    for cancel in result.self_trade_cancels:
        mine = makers[cancel.order_id]
        changes.add(mine.side, mine.limit_price, -cancel.qty, -1)
        _cancel_in_place(mine, account, position, reason="self_trade_prevention", now=now)
        done.events.append(("canceled", mine))

    share_rows: list[ShareEntry] = []
    cash_moves: list[_CashMove] = []
    for fill in result.fills:
        maker = makers[fill.maker_order_id]
        fill_price = from_ticks(fill.price)
        notional = fill_price * fill.qty
        buy, sell = (order, maker) if side == "buy" else (maker, order)
        buy_bps, sell_bps = (taker_bps, maker_bps) if side == "buy" else (maker_bps, taker_bps)
        buyer_fee, seller_fee = fee(notional, buy_bps), fee(notional, sell_bps)
        state.trade_seq += 1
        trade = Trade(
            stock=stock,
            seq=state.trade_seq,
            price=fill_price,
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
        done.trades.append(trade)
        ref = f"trade:{stock.symbol}:{trade.seq}"
        buyer_acct, seller_acct = accounts[buy.user_id], accounts[sell.user_id]
        buyer_pos, seller_pos = positions[buy.user_id], positions[sell.user_id]

        _record_fill(buy, fill.qty, fill_price, buyer_fee, now)
        _record_fill(sell, fill.qty, fill_price, seller_fee, now)
        # The buyer's reservation shrinks to what the rest of the order needs.
        _sync_buy_reservation(buy, buyer_acct, match_price if buy is order else None)
        cash_moves.append(
            _CashMove(
                buyer_acct,
                -notional,
                CashEntry.Kind.TRADE,
                ref,
                f"Bought {fill.qty} {stock.symbol} @ {fill_price}",
            )
        )
        cash_moves.append(
            _CashMove(
                seller_acct,
                notional,
                CashEntry.Kind.TRADE,
                ref,
                f"Sold {fill.qty} {stock.symbol} @ {fill_price}",
            )
        )
        for payer, amount in ((buyer_acct, buyer_fee), (seller_acct, seller_fee)):
            if amount:
                cash_moves.append(_CashMove(payer, -amount, CashEntry.Kind.FEE, ref, "Trading fee"))
                cash_moves.append(
                    _CashMove(
                        accounts[house_id],
                        amount,
                        CashEntry.Kind.FEE,
                        ref,
                        f"Fee from {payer.account_number}",
                    )
                )

        # Average cost includes no fees; realized P&L is against the seller's average cost.
        total = buyer_pos.qty + fill.qty
        buyer_pos.avg_cost = ((buyer_pos.avg_cost * buyer_pos.qty + notional) / total).quantize(
            AVG_COST_UNIT
        )
        share_rows.append(_share_entry(buyer_pos, fill.qty, reference=ref))
        seller_pos.realized_pl += ((fill_price - seller_pos.avg_cost) * fill.qty).quantize(
            PRICE_UNIT
        )
        seller_pos.reserved_qty -= fill.qty
        share_rows.append(_share_entry(seller_pos, -fill.qty, reference=ref))
        if seller_pos.qty == 0:
            seller_pos.avg_cost = Decimal("0")

        changes.add(
            maker.side,
            maker.limit_price,
            -fill.qty,
            -1 if maker.status == Order.Status.FILLED else 0,
        )
        done.events.append(("fill", maker))
        state.last_price, state.last_trade_at = fill_price, now

    # What is left of the incoming order rests, or is cancelled (IOC, FOK never here, market).
    if result.rests:
        changes.add(side, price, result.remaining, 1)
    elif result.remaining:
        order.status = Order.Status.CANCELED
        order.canceled_at = now
        order.reason = "market_remainder" if order_type == "market" else "ioc_remainder"
        if side == "sell":
            position.reserved_qty -= result.remaining
    if side == "buy":
        # Resting: hold what the remainder needs; filled or cancelled: release the rest
        # (price improvement, the unused fee cap, the unfilled part).
        _sync_buy_reservation(order, account)

    return _write_and_announce(
        state,
        order,
        done,
        changes,
        now,
        makers=makers,
        replaces=replaces,
        accounts=accounts,
        positions=positions,
        share_rows=share_rows,
        cash_moves=cash_moves,
        reserved_before=before[0],
        positions_before=before[1],
    )


def _write_and_announce(
    state: BookState,
    order: Order,
    done: _Settlement,
    changes: _BookChanges,
    now,
    *,
    makers: dict[uuid.UUID, Order],
    replaces: Order | None,
    accounts: dict[int, Account],
    positions: dict[int, Position],
    share_rows: Iterable[ShareEntry] = (),
    cash_moves: Iterable[_CashMove] = (),
    reserved_before: dict[int, Decimal] | None = None,
    positions_before: dict[int, tuple] | None = None,
) -> Order:
    """Write what order_place settled in memory, in an order every CHECK constraint accepts."""
    # The order first: a duplicate client_order_id fails here, before anything else is written.
    order.save(force_insert=True)
    touched = [*makers.values(), *([replaces] if replaces is not None else [])]
    for other in touched:
        other.updated_at = now
        other.save(update_fields=_ORDER_FILL_FIELDS)
    if done.trades:
        Trade.objects.bulk_create(done.trades)
        ShareEntry.objects.bulk_create(share_rows)
    for uid, pos in positions.items():
        if _position_key(pos) != positions_before[uid]:
            pos.save(update_fields=["qty", "reserved_qty", "avg_cost", "realized_pl", "updated_at"])
    # Reservations are written before cash moves: the database checks reserved <= cash on
    # every row update, and a buyer's cash falls only by what its reservation released.
    for uid, acct in accounts.items():
        if acct.reserved_cash != reserved_before[uid]:
            acct.save(update_fields=["reserved_cash", "updated_at"])
    for move in cash_moves:
        cash_post(
            account=move.account,
            amount=move.amount,
            kind=move.kind,
            reference=move.reference,
            memo=move.memo,
        )
    deltas = _apply_book_changes(state, changes)
    state.save(update_fields=["book_seq", "trade_seq", "order_seq", "last_price", "last_trade_at"])
    done.events.insert(0, ("fill" if done.trades else "new", order))
    _announce(state.stock, deltas, done)
    return order


def _reserve_resting(
    user: User, stock: Stock, order: Order, side: str, needed: Decimal, now
) -> None:
    """Reserve cash (buy) or shares (sell) for an order that rests untouched, in one UPDATE.

    The row lock the UPDATE takes is the only account or position lock of the transaction,
    so the ascending-id lock order cannot be broken here.
    """
    if side == "buy":
        reserved = Account.objects.filter(
            user_id=user.id, cash__gte=F("reserved_cash") + needed
        ).update(reserved_cash=F("reserved_cash") + needed, updated_at=now)
        if not reserved:
            account = Account.objects.filter(user_id=user.id).first()
            if account is None:
                raise _no_account()
            raise _insufficient_cash(needed, account.available_cash)
        order.reserved_cash = needed
        return
    qty = order.qty
    # Sells need an account too (for the cash they will receive): checked in the same query.
    reserved = Position.objects.filter(
        user_id=user.id,
        stock=stock,
        qty__gte=F("reserved_qty") + qty,
        user__account__isnull=False,
    ).update(reserved_qty=F("reserved_qty") + qty, updated_at=now)
    if not reserved:
        if not Account.objects.filter(user_id=user.id).exists():
            raise _no_account()
        position = Position.objects.filter(user_id=user.id, stock=stock).first()
        raise _insufficient_qty(position.available_qty if position else 0, stock)


def _no_account() -> TradingError:
    return TradingError("no_account", "You have no trading account.", status=403)


def _insufficient_cash(needed: Decimal, available: Decimal) -> TradingError:
    return TradingError(
        "insufficient_buying_power",
        f"Insufficient buying power: this order needs {needed.quantize(CENT)}, "
        f"you have {available.quantize(CENT)} available.",
        status=403,
    )


def _insufficient_qty(available: int, stock: Stock) -> TradingError:
    return TradingError(
        "insufficient_qty",
        f"Insufficient shares: you have {available} {stock.symbol} available to sell.",
        status=403,
        fields={"qty": [f"At most {available}."]},
    )


def _position_key(position: Position) -> tuple:
    return (position.qty, position.reserved_qty, position.avg_cost, position.realized_pl)


def _cancel_in_place(
    order: Order, account: Account | None, position: Position | None, *, reason: str, now
) -> None:
    """Cancel an open order whose account (buy) or position (sell) the caller has locked."""
    remaining = order.remaining_qty
    order.status = Order.Status.CANCELED
    order.canceled_at = now
    order.reason = reason
    if order.side == "buy":
        _sync_buy_reservation(order, account)
    else:
        position.reserved_qty -= remaining


def _announce(stock: Stock, deltas: list[dict], done: _Settlement) -> None:
    """Schedule the stream messages of this transaction for after its commit."""
    symbol = stock.symbol
    trades = [broadcast.trade_payload(t, symbol) for t in done.trades]
    order_events = [
        (o.user_id, kind, broadcast.order_payload(o, symbol)) for kind, o in done.events
    ]
    transaction.on_commit(lambda: broadcast.publish_market(symbol, deltas, trades, order_events))


# --------------------------------------------------------------------------- cancelling
def _cancel_locked(
    orders: list[Order], state: BookState, *, reason: str, status: str = Order.Status.CANCELED
) -> list[Order]:
    """Cancel (or expire) open orders of one symbol under its lock; release their reservations."""
    if not orders:
        return []
    now = timezone.now()
    changes = _BookChanges()
    done = _Settlement()
    cash: dict[int, Decimal] = defaultdict(Decimal)  # released per user: buys hold cash...
    shares: dict[int, int] = defaultdict(int)  # ...and sells hold shares
    for order in orders:
        changes.add(order.side, order.limit_price, -order.remaining_qty, -1)
        if order.side == "buy":
            cash[order.user_id] += order.reserved_cash
        else:
            shares[order.user_id] += order.remaining_qty
        order.reserved_cash = Decimal("0")
        order.reason = reason
        if status == Order.Status.EXPIRED:
            order.status, order.expired_at = Order.Status.EXPIRED, now
        else:
            order.status, order.canceled_at = Order.Status.CANCELED, now
        order.save(
            update_fields=[
                "status",
                "reason",
                "reserved_cash",
                "canceled_at",
                "expired_at",
                "updated_at",
            ]
        )
        done.events.append((order.status, order))
    if len({o.user_id for o in orders}) == 1:
        # One user (a cancel, a cancel-all): relative UPDATEs, one row each, need no read and
        # cannot break the ascending lock order.
        for user_id, amount in cash.items():
            Account.objects.filter(user_id=user_id).update(
                reserved_cash=F("reserved_cash") - amount, updated_at=now
            )
        for user_id, qty in shares.items():
            Position.objects.filter(user_id=user_id, stock_id=state.stock_id).update(
                reserved_qty=F("reserved_qty") - qty, updated_at=now
            )
    else:
        # Many users (the close's expiry): lock their rows in ascending id order first.
        accounts = _lock_accounts(cash)
        positions = _lock_positions(state.stock, shares)
        for user_id, amount in cash.items():
            accounts[user_id].reserved_cash -= amount
            accounts[user_id].save(update_fields=["reserved_cash", "updated_at"])
        for user_id, qty in shares.items():
            positions[user_id].reserved_qty -= qty
            positions[user_id].save(update_fields=["reserved_qty", "updated_at"])
    deltas = _apply_book_changes(state, changes)
    state.save(update_fields=["book_seq"])
    _announce(state.stock, deltas, done)
    return orders


def order_cancel(*, user: User, order_id) -> Order:
    """Cancel one of the user's open orders. Another user's order is 'not found'."""
    try:
        pk = uuid.UUID(str(order_id))
    except ValueError:
        raise TradingError("not_found", "No such order.", status=404) from None
    with transaction.atomic():
        # Lock the order's book in the query that finds it (the book lock comes first, as
        # everywhere; the order's row changes only under it, so a plain read then suffices).
        state = (
            BookState.objects.select_for_update(of=("self",))
            .select_related("stock")
            .filter(stock__orders__pk=pk, stock__orders__user=user)
            .first()
        )
        if state is None:  # no such order of this user's (or a book never used: lock it)
            state = _lock_book(order_get_own(user, pk).stock_id)
        order = Order.objects.get(pk=pk)
        order.stock = state.stock
        if not order.is_open:
            raise TradingError(
                "order_not_cancelable",
                f"The order is {order.status} and can no longer be cancelled.",
                status=422,
            )
        _cancel_locked([order], state, reason="user_requested")
    return order


def order_cancel_all(*, user: User) -> list[Order]:
    """Cancel every open order of the user, one symbol at a time (each symbol atomically)."""
    canceled: list[Order] = []
    stock_ids = (
        Order.objects.filter(user=user, status__in=OPEN_STATUSES)
        .values_list("stock_id", flat=True)
        .distinct()
    )
    for stock_id in sorted(set(stock_ids)):
        with transaction.atomic():
            state = _lock_book(stock_id)
            orders = list(
                Order.objects.select_for_update().filter(
                    user=user, stock_id=stock_id, status__in=OPEN_STATUSES
                )
            )
            for order in orders:
                order.stock = state.stock  # the answer names each order's symbol
            canceled += _cancel_locked(orders, state, reason="user_requested")
    return canceled


def order_replace(
    *, user: User, order_id, qty=None, limit_price=None, time_in_force=None, client_order_id=None
) -> Order:
    """Replace an open order by a new one (it loses time priority), atomically."""
    old = order_get_own(user, order_id)
    if qty in (None, "") and limit_price in (None, "") and time_in_force in (None, ""):
        raise TradingError(
            "nothing_to_replace", "Give at least one of qty, limit_price, time_in_force."
        )
    if old.type == "market" and limit_price not in (None, ""):
        raise TradingError("limit_price_not_allowed", "A market order takes no limit_price.")
    with transaction.atomic():
        _lock_book(old.stock_id)
        old = Order.objects.select_for_update(of=("self",)).select_related("stock").get(pk=old.pk)
        if not old.is_open:
            raise TradingError(
                "order_not_replaceable",
                f"The order is {old.status} and can no longer be replaced.",
                status=422,
            )
        # order_place cancels `old` once it holds the accounts' lock; if the new order is
        # refused, this transaction rolls back and `old` stays on the book as it was.
        new_qty = qty if qty not in (None, "") else old.remaining_qty
        new = order_place(
            user=user,
            symbol=old.stock.symbol,
            side=old.side,
            type=old.type,
            time_in_force=time_in_force or old.time_in_force,
            qty=new_qty,
            limit_price=limit_price if limit_price not in (None, "") else old.limit_price,
            client_order_id=client_order_id,
            replaces=old,
        )
    return new


def orders_expire_day() -> int:
    """Expire every open day order (the clock calls this at the session close)."""
    expired = 0
    stock_ids = (
        Order.objects.filter(time_in_force="day", status__in=OPEN_STATUSES)
        .values_list("stock_id", flat=True)
        .distinct()
    )
    for stock_id in sorted(set(stock_ids)):
        with transaction.atomic():
            state = _lock_book(stock_id)
            orders = list(
                Order.objects.select_for_update().filter(
                    stock_id=stock_id, time_in_force="day", status__in=OPEN_STATUSES
                )
            )
            expired += len(
                _cancel_locked(
                    orders, state, reason="day_order_expired", status=Order.Status.EXPIRED
                )
            )
    return expired


def order_get_own(user: User, order_id) -> Order:
    """One of the user's orders; anything else, including another user's order, is 'not found'."""
    try:
        pk = uuid.UUID(str(order_id))
    except ValueError:
        raise TradingError("not_found", "No such order.", status=404) from None
    order = Order.objects.filter(pk=pk, user=user).select_related("stock").first()
    if order is None:
        raise TradingError("not_found", "No such order.", status=404)
    return order


# --------------------------------------------------------------------------- shares
def position_grant(*, user: User, symbol: str, qty: int, memo: str = "Staff grant") -> Position:
    """Staff: give a user shares (or take unreserved ones back with a negative qty)."""
    stock = Stock.objects.filter(symbol=symbol.upper()).first()
    if stock is None:
        raise TradingError("unknown_symbol", f"Unknown symbol {symbol!r}.")
    if not isinstance(qty, int) or qty == 0:
        raise TradingError("invalid_qty", "qty must be a non-zero whole number.")
    with transaction.atomic():
        _lock_book(stock.pk)
        position = _lock_positions(stock, {user.id})[user.id]
        if position.available_qty + qty < 0:
            raise TradingError(
                "insufficient_qty", "Cannot take back shares that are not there or are reserved."
            )
        if qty > 0 and position.qty == 0:
            position.avg_cost = stock.reference_price or Decimal("0")
        _move_shares(position, qty, kind=ShareEntry.Kind.GRANT, reference="grant", memo=memo)
        if position.qty == 0:
            position.avg_cost = Decimal("0")
        position.save()
    return position


__all__ = [
    "order_cancel",
    "order_cancel_all",
    "order_place",
    "order_replace",
    "orders_expire_day",
    "position_grant",
]
