"""Our orders, positions, stocks and accounts as Alpaca's v2 JSON objects.

Money and quantities are strings, moments are RFC 3339 UTC with `Z`. Fields we have no concept
of are present with their honest value (no margin: `multiplier` "1", zeros for margin figures;
no shorting: `shorting_enabled` false) rather than missing, because the SDK's models list them.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from core.times import rfc3339
from marketdata.models import Stock
from trading.models import Order, TradingConfiguration, Watchlist
from trading.stream_messages import OrderPayload, OrdersMessage

# Stable asset ids: the same symbol has the same id on every deployment, with no column for it.
ASSET_NAMESPACE = uuid.UUID("6f1c9a2e-4b7d-5e80-9a51-b0c3d7e2f419")
ZERO = "0"


def asset_id(symbol: str) -> uuid.UUID:
    return uuid.uuid5(ASSET_NAMESPACE, symbol.upper())


def _num(value) -> str | None:
    """A decimal as a plain string, without trailing zeros ("101.5000" -> "101.5")."""
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


def order_json(order: Order, symbol: str | None = None) -> dict:
    symbol = symbol or order.stock.symbol
    replaced = None
    if order.status == Order.Status.REPLACED:
        replaced = getattr(order, "replaced_by", None)
    return {
        "id": str(order.id),
        "client_order_id": order.client_order_id,
        "created_at": rfc3339(order.created_at),
        "updated_at": rfc3339(order.updated_at),
        "submitted_at": rfc3339(order.created_at),
        "filled_at": rfc3339(order.filled_at),
        "expired_at": rfc3339(order.expired_at),
        "expires_at": None,
        "canceled_at": rfc3339(order.canceled_at),
        "failed_at": None,
        "replaced_at": rfc3339(order.replaced_at),
        "replaced_by": str(replaced.id) if replaced else None,
        "replaces": str(order.replaces_id) if order.replaces_id else None,
        "asset_id": str(asset_id(symbol)),
        "symbol": symbol,
        "asset_class": "us_equity",
        "notional": None,
        "qty": str(order.qty),
        "filled_qty": str(order.filled_qty),
        "filled_avg_price": _num(order.filled_avg_price),
        "order_class": "simple",
        "order_type": order.type,
        "type": order.type,
        "side": order.side,
        "position_intent": "buy_to_open" if order.side == "buy" else "sell_to_close",
        "time_in_force": order.time_in_force,
        "limit_price": _num(order.limit_price),
        "stop_price": None,
        "status": order.status,
        "extended_hours": False,
        "legs": None,
        "trail_percent": None,
        "trail_price": None,
        "hwm": None,
        "subtag": None,
        "source": None,
        "commission": _num(order.fees),
    }


def asset_json(stock: Stock) -> dict:
    return {
        "id": str(asset_id(stock.symbol)),
        "class": "us_equity",
        # The primary listing (bots filter by it); where trades happen is the trade's `x`.
        "exchange": stock.exchange,
        "symbol": stock.symbol,
        "name": stock.name,
        "status": "active",
        "tradable": not stock.is_halted,
        "marginable": False,
        "shortable": False,
        "easy_to_borrow": False,
        "fractionable": False,
        "min_order_size": str(stock.lot_size),
        "min_trade_increment": str(stock.lot_size),
        "price_increment": str(stock.tick_size.normalize()),
        "maintenance_margin_requirement": 100,
        "attributes": [],
    }


def position_json(view) -> dict:
    """A `trading.selectors.PositionView` as Alpaca's Position."""
    p, stock = view.position, view.position.stock
    lastday = view.lastday_price
    if lastday:
        intraday_pl = (view.current_price - lastday) * p.qty
        intraday_base = lastday * p.qty
    else:
        intraday_pl, intraday_base = view.unrealized_pl, view.cost_basis
    intraday_plpc = (intraday_pl / intraday_base) if intraday_base else Decimal("0")
    return {
        "asset_id": str(asset_id(stock.symbol)),
        "symbol": stock.symbol,
        "exchange": stock.exchange,
        "asset_class": "us_equity",
        "asset_marginable": False,
        "avg_entry_price": _num(p.avg_cost),
        "qty": str(p.qty),
        "qty_available": str(p.available_qty),
        "side": "long",
        "market_value": _num(view.market_value),
        "cost_basis": _num(view.cost_basis),
        "unrealized_pl": _num(view.unrealized_pl),
        "unrealized_plpc": _num(view.unrealized_plpc),
        "unrealized_intraday_pl": _num(intraday_pl),
        "unrealized_intraday_plpc": _num(intraday_plpc.quantize(Decimal("0.000001"))),
        "current_price": _num(view.current_price),
        "lastday_price": _num(lastday) if lastday is not None else None,
        "change_today": _num(view.change_today) if view.change_today is not None else ZERO,
    }


def account_json(summary: dict, *, last_equity: Decimal, suspended: bool) -> dict:
    """`trading.selectors.account_summary` as Alpaca's TradeAccount (a cash account, no margin)."""
    account = summary["account"]
    buying_power = _num(summary["buying_power"])
    return {
        "id": str(account.id),
        "account_number": account.account_number,
        "status": "ACTIVE",
        "crypto_status": "INACTIVE",
        "currency": "USD",
        "buying_power": buying_power,
        "regt_buying_power": buying_power,
        "daytrading_buying_power": buying_power,
        "effective_buying_power": buying_power,
        "non_marginable_buying_power": buying_power,
        "options_buying_power": ZERO,
        "bod_dtbp": buying_power,
        "cash": _num(summary["cash"]),
        "accrued_fees": ZERO,
        "pending_transfer_in": ZERO,
        "pending_transfer_out": ZERO,
        "portfolio_value": _num(summary["equity"]),
        "pattern_day_trader": False,
        "trading_blocked": suspended,
        "transfers_blocked": False,
        "account_blocked": not account.user.is_active,
        "created_at": rfc3339(account.created_at),
        "trade_suspended_by_user": suspended,
        "multiplier": "1",
        "shorting_enabled": False,
        "equity": _num(summary["equity"]),
        "last_equity": _num(last_equity),
        "long_market_value": _num(summary["long_market_value"]),
        "short_market_value": ZERO,
        "position_market_value": _num(summary["long_market_value"]),
        "initial_margin": ZERO,
        "maintenance_margin": ZERO,
        "last_maintenance_margin": ZERO,
        "sma": ZERO,
        "daytrade_count": 0,
        "balance_asof": None,
        "options_approved_level": 0,
        "options_trading_level": 0,
        "intraday_adjustments": ZERO,
        "pending_reg_taf_fees": ZERO,
        # Ours, beyond Alpaca's: cash held by open orders and bids.
        "reserved_cash": _num(summary["reserved_cash"]),
    }


# --------------------------------------------------------------------------- trade_updates
# Execution ids: one UUID per side of a trade, the same on every replay of the message.
EXECUTION_NAMESPACE = uuid.UUID("2d0b6f4e-8c3a-5b1f-9e7d-4a6c8b0e2f13")


def configuration_json(config: TradingConfiguration) -> dict:
    """Alpaca's AccountConfiguration: ours, and the fixed answers of what we do not offer."""
    return {
        "dtbp_check": config.dtbp_check,
        "fractional_trading": False,
        "max_margin_multiplier": "1",
        "no_shorting": True,
        "pdt_check": config.pdt_check,
        "suspend_trade": config.suspend_trade,
        "trade_confirm_email": config.trade_confirm_email,
        "ptp_no_exception_entry": False,
        "max_options_trading_level": 0,
    }


def watchlist_json(watchlist: Watchlist, account_id) -> dict:
    return {
        "id": str(watchlist.id),
        "account_id": str(account_id),
        "name": watchlist.name,
        "created_at": rfc3339(watchlist.created_at),
        "updated_at": rfc3339(watchlist.updated_at),
        "assets": [asset_json(s) for s in watchlist.stocks.order_by("symbol")],
    }


def order_json_from_payload(order: OrderPayload) -> dict:
    """An order as `trading.broadcast.order_payload` streams it, as Alpaca's Order."""
    symbol = order["symbol"]
    return {
        "id": order["id"],
        "client_order_id": order["client_order_id"],
        "created_at": order["created_at"],
        "updated_at": order["updated_at"],
        "submitted_at": order["created_at"],
        "filled_at": order.get("filled_at"),
        "expired_at": order.get("expired_at"),
        "expires_at": None,
        "canceled_at": order.get("canceled_at"),
        "failed_at": None,
        "replaced_at": order.get("replaced_at"),
        "replaced_by": None,
        "replaces": order.get("replaces"),
        "asset_id": str(asset_id(symbol)),
        "symbol": symbol,
        "asset_class": "us_equity",
        "notional": None,
        "qty": order["qty"],
        "filled_qty": order["filled_qty"],
        "filled_avg_price": _num(order["filled_avg_price"]),
        "order_class": "simple",
        "order_type": order["type"],
        "type": order["type"],
        "side": order["side"],
        "position_intent": "buy_to_open" if order["side"] == "buy" else "sell_to_close",
        "time_in_force": order["time_in_force"],
        "limit_price": _num(order["limit_price"]),
        "stop_price": None,
        "status": order["status"],
        "extended_hours": False,
        "legs": None,
        "trail_percent": None,
        "trail_price": None,
        "hwm": None,
        "commission": _num(order.get("fees")),
    }


def trade_updates(message: OrdersMessage) -> list[dict]:
    """One private `orders` message as Alpaca's `trade_updates` events, one per execution.

    The message lists each order once, with its final state and all of its fills in the
    transaction: an order that was accepted and traded at once reads new, then a fill (or
    partial_fill) per execution, then canceled if an IOC or market remainder was dropped.
    """
    updates: list[dict] = []
    # The trader's shares right after these fills, told by their own transaction.
    position_qty = str(message.get("position_qty", 0))
    for entry in message.get("events", ()):
        kind, order, fills = entry["event"], entry["order"], entry.get("fills") or []
        alpaca_order = order_json_from_payload(order)
        stamp = order["updated_at"] or order["created_at"]

        def update(event: str, timestamp: str, _order=alpaca_order, **extra) -> dict:
            data = {"event": event, "timestamp": timestamp, "order": _order, **extra}
            return {"stream": "trade_updates", "data": data}

        # The incoming order of a transaction (a taker) was accepted before it traded.
        if kind == "new" or (fills and fills[0]["liquidity"] == "taker"):
            updates.append(update("new", order["created_at"]))
        for i, fill in enumerate(fills):
            last = i == len(fills) - 1
            event = "fill" if last and order["status"] == "filled" else "partial_fill"
            execution = uuid.uuid5(
                EXECUTION_NAMESPACE, f"{order['symbol']}:{fill['trade_seq']}:{fill['side']}"
            )
            updates.append(
                update(
                    event,
                    fill["time"],
                    execution_id=str(execution),
                    price=fill["price"],
                    qty=fill["qty"],
                    position_qty=position_qty,
                )
            )
        if kind in ("canceled", "expired", "replaced"):
            updates.append(update(kind, stamp))
        elif order["status"] in ("canceled", "expired"):  # an IOC or market remainder dropped
            updates.append(update(order["status"], stamp))
        elif kind in ("fill", "partial_fill") and not fills:
            updates.append(update(kind, stamp))
    return updates
