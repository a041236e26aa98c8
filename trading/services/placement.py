"""One placement in progress, and its second half: settling what it matched, then writing it.

`trading.services.orders` validates and matches in memory into a `Placement`; `lock_parties`
locks the accounts and positions involved, `settle` settles each fill through
`trading.services.settlement`, and `write` writes the order, trades, ledger rows, positions,
reservations and, last, cash (the database checks reserved <= cash on every row it updates).
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from accounts import services as accounts
from accounts.models import Account, User
from core import words
from core.db import rows_update
from marketdata.models import Stock
from trading import engine
from trading.engine.orders import OrderId
from trading.errors import TradingError
from trading.events import MarketEvents
from trading.models import BookState, Order, Position, Trade
from trading.pricing import (
    fee,
    from_ticks,
    maker_fee_bps,
    reservation,
    taker_fee_bps,
)
from trading.services.book_levels import BookChanges, book_changes_apply, resting_price
from trading.services.locks import positions_lock
from trading.services.settlement import Ledger, Party, fill_settle

# A position's qty, reserved qty, average cost and realized P&L: changed if this changed.
PositionKey = tuple[int, int, Decimal, Decimal]

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


@dataclass
class Placement:
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
    positions_before: dict[int, PositionKey] = field(default_factory=dict)
    house_id: int | None = None
    # A market buy: what each of its fills, still to be settled, costs with fees at most.
    walk: list[Decimal] | None = None

    @property
    def stock(self) -> Stock:
        return self.state.stock


def insufficient_qty(available: int, stock: Stock) -> TradingError:
    return TradingError(
        "insufficient_qty",
        f"You have {words.shares(available, stock.symbol)} free to sell (shares in open sell "
        "orders are held).",
        fields={"qty": [f"At most {available}."]},
    )


def lock_parties(p: Placement, user: User) -> None:
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


def _position_key(position: Position) -> PositionKey:
    return (position.qty, position.reserved_qty, position.avg_cost, position.realized_pl)


def settle(p: Placement) -> None:
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


def _settle_fill(p: Placement, fill: engine.Fill) -> None:
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


def _finish_taker(p: Placement, account: Account, position: Position | None) -> None:
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


def _cancel_in_place(p: Placement, order: Order, *, reason: str, qty: int | None = None) -> None:
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


def write(p: Placement) -> Order:
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
