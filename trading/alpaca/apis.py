"""`/api/v2`: Alpaca's trading API over our services, so `alpaca-py` needs only a base URL.

One view per resource; each parses Alpaca's request, calls the same service `/api/v1`, the
pages and the admin call, and answers with a presenter. Refusals answer in Alpaca's error
shape (`trading.alpaca.errors`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from core.times import parse_count, parse_moment, rfc3339
from marketdata import calendar
from marketdata.models import Stock
from trading import selectors, services
from trading.alpaca import errors
from trading.alpaca import selectors as alpaca_selectors
from trading.alpaca.presenters import account_json, asset_json, order_json, position_json
from trading.apis import OrderListParams
from trading.errors import TradingError
from trading.models import Order, Position, TradingConfiguration, Watchlist
from trading.services import configuration, watchlists

SUPPORTED_TYPES = ("market", "limit")
UNSUPPORTED_TYPES = ("stop", "stop_limit", "trailing_stop")
SUPPORTED_TIF = ("day", "gtc", "ioc", "fok")
UNSUPPORTED_TIF = ("opg", "cls")
UNSUPPORTED_CLASSES = ("bracket", "oco", "oto", "mleg")


class AlpacaApi(APIView):
    """Every `/api/v2` view: the project's authentication, Alpaca's error shape."""

    # Documented by Alpaca's own reference (and the README), not in our OpenAPI schema.
    schema = None

    def get_exception_handler(self):
        return errors.exception_handler


def _invalid(name: str, message: str, code: str | None = None) -> TradingError:
    return TradingError(code or f"invalid_{name}", message, fields={name: [message]})


def _unsupported(code: str, name: str, value) -> TradingError:
    return TradingError(
        code,
        f"{name} {value!r} is not supported yet on this exchange.",
        fields={name: ["Not supported yet."]},
    )


def _choice(data: dict, name: str, supported, unsupported=(), *, default=None, code=None) -> str:
    value = data.get(name, default)
    text = str(value or "").strip().lower()
    if text in supported:
        return text
    if text in unsupported:
        raise _unsupported(code or f"unsupported_{name}", name, text)
    raise _invalid(name, f"invalid {name}: {value!r}")


def _decimal(raw, name: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise _invalid(name, f"{name} must be a number") from None
    if not value.is_finite() or value <= 0:
        raise _invalid(name, f"{name} must be a positive number")
    return value


def _blank(value) -> bool:
    return value in (None, "")


def _order_fields(data: dict) -> dict:
    """Alpaca's order request as `order_place` keywords; what we cannot do is a 422."""
    if not isinstance(data, dict):
        raise _invalid("body", "the request body must be a JSON object")
    order_type = _choice(
        data,
        "type",
        SUPPORTED_TYPES,
        UNSUPPORTED_TYPES,
        default="market",
        code="unsupported_order_type",
    )
    tif = _choice(data, "time_in_force", SUPPORTED_TIF, UNSUPPORTED_TIF, default="day")
    side = _choice(data, "side", ("buy", "sell"))
    order_class = str(data.get("order_class") or "simple").strip().lower()
    if order_class in UNSUPPORTED_CLASSES:
        raise _unsupported("unsupported_order_class", "order_class", order_class)
    for leg in ("take_profit", "stop_loss"):
        if not _blank(data.get(leg)):
            # Named for itself: without an order_class, "simple" was never the problem.
            raise TradingError(
                "unsupported_order_class",
                f"{leg} is not supported yet on this exchange: bracket, OCO and OTO orders "
                "are not.",
                fields={leg: ["Not supported yet."]},
            )
    if order_class != "simple":
        raise _invalid("order_class", f"invalid order_class: {order_class!r}")
    for name in ("stop_price", "trail_price", "trail_percent"):
        if not _blank(data.get(name)):
            raise _unsupported("unsupported_order_type", name, data[name])
    if data.get("extended_hours") in (True, "true", "True"):
        raise _unsupported("unsupported_extended_hours", "extended_hours", True)
    intent = data.get("position_intent")
    if intent in ("sell_to_open", "buy_to_close"):
        raise _unsupported("unsupported_short_sale", "position_intent", intent)
    if not _blank(intent) and intent not in ("buy_to_open", "sell_to_close"):
        raise _invalid("position_intent", f"invalid position_intent: {intent!r}")
    if _blank(data.get("symbol")):
        raise _invalid("symbol", "symbol is required")
    qty, notional = data.get("qty"), data.get("notional")
    if not _blank(qty) and not _blank(notional):
        raise _invalid("notional", "qty and notional cannot both be given", "qty_and_notional")
    if _blank(qty) and _blank(notional):
        raise _invalid("qty", "qty or notional is required", "qty_required")
    if not _blank(notional) and order_type != "market":
        raise _invalid("notional", "notional is only for market orders", "notional_not_allowed")
    fields = {
        "symbol": str(data["symbol"]).strip().upper(),
        "side": side,
        "type": order_type,
        "time_in_force": tif,
        "qty": qty,
        "limit_price": data.get("limit_price"),
        "client_order_id": data.get("client_order_id") or None,
    }
    if not _blank(notional):
        amount = _decimal(notional, "notional")
        stock = alpaca_selectors.stock_for(str(fields["symbol"]))
        fields["qty"] = alpaca_selectors.qty_for_notional(stock, side, amount)
    return fields


# --------------------------------------------------------------------------- account
def _suspended(user) -> bool:
    return TradingConfiguration.objects.filter(user=user, suspend_trade=True).exists()


def _check_not_suspended(user) -> None:
    if _suspended(user):
        raise TradingError(
            "trading_suspended", "trading is suspended by the account's configuration"
        )


class AccountApi(AlpacaApi):
    def get(self, request):
        """Your account as Alpaca's TradeAccount."""
        summary = selectors.account_summary(user=request.user)
        account = summary["account"]
        return Response(
            account_json(
                summary,
                last_equity=alpaca_selectors.last_equity(account),
                suspended=_suspended(request.user),
            )
        )


# --------------------------------------------------------------------------- orders
class OrdersApi(AlpacaApi):
    def post(self, request):
        """Place an order (market or limit, by qty or notional; day, gtc, ioc or fok).

        An unfilled IOC and an unfillable FOK alike answer the order, canceled (Alpaca's way).
        """
        _check_not_suspended(request.user)
        order = services.order_place(
            user=request.user, unfillable_fok="cancel", **_order_fields(request.data)
        )
        return Response(order_json(order))

    def get(self, request):
        """Your orders: status open|closed|all, limit, after, until, direction, side, symbols."""
        query = request.query_params.dict()
        query.pop("nested", None)
        params = OrderListParams(data=query)
        params.is_valid(raise_exception=True)
        p = dict(params.validated_data)
        symbols = [s.strip().upper() for s in p.pop("symbols", "").split(",") if s.strip()]
        orders = selectors.orders_for(user=request.user, symbols=symbols or None, **p)
        return Response([order_json(o) for o in orders])

    def delete(self, request):
        """Cancel all your open orders: 207, one status per order."""
        canceled = services.order_cancel_all(user=request.user)
        body = [{"id": str(o.id), "status": 200, "body": order_json(o)} for o in canceled]
        return Response(body, status=207)


class OrderApi(AlpacaApi):
    def get(self, request, order_id: str):
        order = selectors.order_get_own(user=request.user, order_id=order_id)
        return Response(order_json(order))

    def patch(self, request, order_id: str):
        """Replace an open order: qty, limit_price, time_in_force, client_order_id."""
        data = request.data if isinstance(request.data, dict) else {}
        for name in ("stop_price", "trail"):
            if not _blank(data.get(name)):
                raise _unsupported("unsupported_order_type", name, data[name])
        tif = data.get("time_in_force")
        if not _blank(tif):
            tif = _choice(data, "time_in_force", SUPPORTED_TIF, UNSUPPORTED_TIF)
        order = services.order_replace(
            user=request.user,
            order_id=order_id,
            qty=data.get("qty"),
            limit_price=data.get("limit_price"),
            time_in_force=tif or None,
            client_order_id=data.get("client_order_id") or None,
        )
        return Response(order_json(order))

    def delete(self, request, order_id: str):
        services.order_cancel(user=request.user, order_id=order_id)
        return Response(status=204)


class OrderByClientIdApi(AlpacaApi):
    def get(self, request):
        client_order_id = request.query_params.get("client_order_id", "")
        order = (
            Order.objects.select_related("stock")
            .filter(user=request.user, client_order_id=client_order_id)
            .first()
        )
        if not client_order_id or order is None:
            raise TradingError("not_found", "order not found")
        return Response(order_json(order))


# --------------------------------------------------------------------------- positions
def _position_view(user, symbol_or_asset_id: str):
    stock = alpaca_selectors.stock_for(symbol_or_asset_id)
    views = selectors.positions_for(user=user, symbol=stock.symbol)
    if not views:
        raise TradingError("position_not_found", "position does not exist")
    return views[0]


def _close_qty(position: Position, query) -> int:
    qty, percentage = query.get("qty"), query.get("percentage")
    if not _blank(qty) and not _blank(percentage):
        raise _invalid("percentage", "qty and percentage cannot both be given")
    if not _blank(percentage):
        pct = _decimal(percentage, "percentage")
        if pct > 100:
            raise _invalid("percentage", "percentage must be at most 100")
        lot = position.stock.lot_size
        wanted = int((position.qty * pct / 100).to_integral_value(ROUND_DOWN))
        return wanted - wanted % lot
    if not _blank(qty):
        return qty
    return position.qty


def _close(user, position: Position, qty) -> Order:
    """The closing order of a position: a market sell (no shorting, so only what is held)."""
    return services.order_place(
        user=user,
        symbol=position.stock.symbol,
        side="sell",
        type="market",
        time_in_force="day",
        qty=qty,
    )


class PositionsApi(AlpacaApi):
    def get(self, request):
        return Response([position_json(v) for v in selectors.positions_for(user=request.user)])

    def delete(self, request):
        """Close every position with a market sell (`cancel_orders=true` cancels orders first)."""
        cancel = str(request.query_params.get("cancel_orders", "")).lower()
        if cancel not in ("", "true", "false"):
            raise _invalid("cancel_orders", "cancel_orders must be true or false")
        if cancel == "true":
            services.order_cancel_all(user=request.user)
        answers = []
        for view in selectors.positions_for(user=request.user):
            position = view.position
            symbol = position.stock.symbol
            try:
                order = _close(request.user, position, position.available_qty or position.qty)
            except TradingError as exc:
                status, body = errors.domain_answer(exc)
                body.update(
                    symbol=symbol,
                    available=position.available_qty,
                    existing_qty=position.qty,
                    held_for_orders=position.reserved_qty,
                )
                answers.append({"symbol": symbol, "status": status, "body": body})
                continue
            answers.append(
                {
                    "symbol": symbol,
                    "status": 200,
                    "order_id": str(order.id),
                    "body": order_json(order),
                }
            )
        return Response(answers, status=207)


class PositionApi(AlpacaApi):
    def get(self, request, symbol_or_asset_id: str):
        return Response(position_json(_position_view(request.user, symbol_or_asset_id)))

    def delete(self, request, symbol_or_asset_id: str):
        """Close a position (all of it, `qty` shares, or a `percentage`): the closing order."""
        position = _position_view(request.user, symbol_or_asset_id).position
        qty = _close_qty(position, request.query_params)
        if not qty:
            raise _invalid("percentage", "that percentage is less than one lot")
        return Response(order_json(_close(request.user, position, qty)))


# --------------------------------------------------------------------------- assets
class AssetsApi(AlpacaApi):
    def get(self, request):
        """Every stock as an asset; `status` active|inactive, `asset_class` us_equity, and
        `exchange` (the primary listing)."""
        query = request.query_params
        status = query.get("status") or "active"
        asset_class = query.get("asset_class") or "us_equity"
        exchange = query.get("exchange")
        if status not in ("active", "inactive") or asset_class not in (
            "us_equity",
            "us_option",
            "crypto",
        ):
            raise _invalid("status", "invalid status or asset_class")
        if status == "inactive" or asset_class != "us_equity":
            return Response([])
        stocks = Stock.objects.order_by("symbol")
        if exchange:
            stocks = stocks.filter(exchange=exchange.strip().upper())
        return Response([asset_json(s) for s in stocks])


class AssetApi(AlpacaApi):
    def get(self, request, symbol_or_asset_id: str):
        return Response(asset_json(alpaca_selectors.stock_for(symbol_or_asset_id)))


# --------------------------------------------------------------------------- clock, calendar
class ClockApi(AlpacaApi):
    def get(self, request):
        """The NYSE clock (this exchange itself trades whenever it is up)."""
        clock = calendar.clock(timezone.now())
        return Response(
            {
                "timestamp": rfc3339(clock.timestamp),
                "is_open": clock.is_open,
                "next_open": rfc3339(clock.next_open),
                "next_close": rfc3339(clock.next_close),
            }
        )


def _date(raw, name: str) -> date | None:
    if _blank(raw):
        return None
    try:
        return parse_moment(str(raw)[:10]).date()
    except ValueError:
        raise _invalid(name, f"{name} must be a date like 2026-01-02, 1970 to 2200") from None


class CalendarApi(AlpacaApi):
    def get(self, request):
        """NYSE sessions from `start` to `end`: open and close in market time (`TIME_ZONE`)."""
        start = _date(request.query_params.get("start"), "start")
        end = _date(request.query_params.get("end"), "end")
        local = ZoneInfo(settings.TIME_ZONE)
        return Response(
            [
                {
                    "date": s.date.isoformat(),
                    "open": s.open.astimezone(local).strftime("%H:%M"),
                    "close": s.close.astimezone(local).strftime("%H:%M"),
                    "session_open": s.open.astimezone(local).strftime("%H%M"),
                    "session_close": s.close.astimezone(local).strftime("%H%M"),
                    "settlement_date": s.date.isoformat(),
                }
                for s in calendar.sessions(start, end)
            ]
        )


# --------------------------------------------------------------------------- configurations
def _configuration_json(user) -> dict:
    config = TradingConfiguration.objects.filter(user=user).first() or TradingConfiguration()
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


class ConfigurationsApi(AlpacaApi):
    def get(self, request):
        return Response(_configuration_json(request.user))

    def patch(self, request):
        """Change suspend_trade, trade_confirm_email, dtbp_check, pdt_check."""
        changes = request.data if isinstance(request.data, dict) else {}
        configuration.configuration_update(user=request.user, changes=changes)
        return Response(_configuration_json(request.user))


# --------------------------------------------------------------------------- portfolio
TIMEFRAMES = {
    "1Min": timedelta(minutes=1),
    "5Min": timedelta(minutes=5),
    "15Min": timedelta(minutes=15),
    "1H": timedelta(hours=1),
    "1D": timedelta(days=1),
}
PERIOD_UNITS = {"D": 1, "W": 7, "M": 30, "A": 365}
MAX_POINTS = 2000


def _period(raw) -> timedelta:
    text = str(raw or "1M").strip().upper()
    number, unit = text[:-1] or "1", text[-1:]
    try:
        # At most 100 years back, whatever the unit.
        count = parse_count(number, low=1, high=36_500 // PERIOD_UNITS.get(unit, 365))
    except ValueError:
        count = 0
    if unit not in PERIOD_UNITS or not count:
        raise _invalid(
            "period", "period must be a number and D, W, M or A, like 1W (100 years at most)"
        )
    return timedelta(days=count * PERIOD_UNITS[unit])


class PortfolioHistoryApi(AlpacaApi):
    def get(self, request):
        """Equity and P&L over `period` (1D, 1W, 1M, 1A…) at `timeframe` steps, from the ledger."""
        query = request.query_params
        period = _period(query.get("period"))
        timeframe = query.get("timeframe") or ("15Min" if period <= timedelta(days=1) else "1D")
        if timeframe not in TIMEFRAMES:
            raise _invalid("timeframe", "timeframe must be 1Min, 5Min, 15Min, 1H or 1D")
        step = TIMEFRAMES[timeframe]
        end = timezone.now()
        if not _blank(query.get("end")):
            end = _moment(query["end"], "end")
        start = end - period
        if not _blank(query.get("start")):
            start = _moment(query["start"], "start")
        if start >= end:
            raise _invalid("start", "start must be before end")
        first = datetime.fromtimestamp(
            start.timestamp() // step.total_seconds() * step.total_seconds(), UTC
        )
        count = int((end - first) / step) + 1
        if count > MAX_POINTS:
            raise _invalid("timeframe", f"at most {MAX_POINTS} points; take a longer timeframe")
        moments = [first + i * step for i in range(count)]
        if moments[-1] < end:  # the last point is now: equity as it stands
            moments.append(end)
        account = selectors.account_summary(user=request.user)["account"]
        equity = alpaca_selectors.equity_series(account, moments)
        base = equity[0]
        return Response(
            {
                "timestamp": [int(m.timestamp()) for m in moments],
                "equity": [float(e) for e in equity],
                "profit_loss": [float(e - base) for e in equity],
                "profit_loss_pct": [float((e - base) / base) if base else 0.0 for e in equity],
                "base_value": float(base),
                "timeframe": timeframe,
                "cashflow": {},
            }
        )


def _moment(raw, name: str) -> datetime:
    try:
        return parse_moment(raw)
    except ValueError:
        raise _invalid(name, f"{name} must be an RFC 3339 time between 1970 and 2200") from None


# --------------------------------------------------------------------------- activities


class ActivitiesApi(AlpacaApi):
    def get(self, request, activity_type: str | None = None):
        """Fills (FILL) and cash activities (CSD, JNLC, FEE), newest first, paged."""
        query = request.query_params
        types = [activity_type] if activity_type else None
        if not types and not _blank(query.get("activity_types")):
            types = [t.strip().upper() for t in query["activity_types"].split(",")]
        try:
            size = parse_count(query.get("page_size") or "100", low=1, high=100)
        except ValueError:
            raise _invalid("page_size", "page_size must be 1 to 100") from None
        direction = query.get("direction") or "desc"
        if direction not in ("asc", "desc"):
            raise _invalid("direction", "direction must be asc or desc")
        after = _moment(query["after"], "after") if not _blank(query.get("after")) else None
        until = _moment(query["until"], "until") if not _blank(query.get("until")) else None
        account = selectors.account_summary(user=request.user)["account"]
        rows = alpaca_selectors.activities(
            account, types=types, after=after, until=until, direction=direction
        )
        token = query.get("page_token")
        if token:
            ids = [r["id"] for r in rows]
            rows = rows[ids.index(token) + 1 :] if token in ids else []
        return Response(rows[:size])


# --------------------------------------------------------------------------- watchlists
def _watchlist_json(watchlist: Watchlist, account_id) -> dict:
    return {
        "id": str(watchlist.id),
        "account_id": str(account_id),
        "name": watchlist.name,
        "created_at": rfc3339(watchlist.created_at),
        "updated_at": rfc3339(watchlist.updated_at),
        "assets": [asset_json(s) for s in watchlist.stocks.order_by("symbol")],
    }


def _watchlist(user, watchlist_id: str) -> Watchlist:
    try:
        pk = uuid.UUID(str(watchlist_id))
    except ValueError:
        raise TradingError("watchlist_not_found", "watchlist not found") from None
    watchlist = Watchlist.objects.filter(user=user, pk=pk).first()
    if watchlist is None:
        raise TradingError("watchlist_not_found", "watchlist not found")
    return watchlist


def _account_id(user):
    return selectors.account_summary(user=user)["account"].id


class WatchlistsApi(AlpacaApi):
    def get(self, request):
        account_id = _account_id(request.user)
        lists = Watchlist.objects.filter(user=request.user).order_by("created_at")
        return Response([_watchlist_json(w, account_id) for w in lists])

    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        watchlist = watchlists.watchlist_create(
            user=request.user, name=data.get("name"), symbols=data.get("symbols") or []
        )
        return Response(_watchlist_json(watchlist, _account_id(request.user)))


class WatchlistApi(AlpacaApi):
    """One watchlist by its id: read, replace (PUT), add a symbol (POST), delete."""

    def _target(self, request, watchlist_id: str | None) -> Watchlist:
        return _watchlist(request.user, str(watchlist_id))

    def get(self, request, watchlist_id: str | None = None):
        watchlist = self._target(request, watchlist_id)
        return Response(_watchlist_json(watchlist, _account_id(request.user)))

    def put(self, request, watchlist_id: str | None = None):
        data = request.data if isinstance(request.data, dict) else {}
        watchlist = watchlists.watchlist_update(
            watchlist=self._target(request, watchlist_id),
            name=data.get("name"),
            symbols=data.get("symbols"),
        )
        return Response(_watchlist_json(watchlist, _account_id(request.user)))

    def post(self, request, watchlist_id: str | None = None):
        """Add one symbol."""
        data = request.data if isinstance(request.data, dict) else {}
        watchlist = watchlists.watchlist_add(
            watchlist=self._target(request, watchlist_id), symbol=data.get("symbol")
        )
        return Response(_watchlist_json(watchlist, _account_id(request.user)))

    def delete(self, request, watchlist_id: str | None = None):
        watchlists.watchlist_delete(watchlist=self._target(request, watchlist_id))
        return Response(status=204)


class WatchlistByNameApi(WatchlistApi):
    """The same operations on `watchlists:by_name?name=...` (names are unique per user)."""

    def _target(self, request, watchlist_id: str | None) -> Watchlist:
        name = request.query_params.get("name", "")
        if not name.strip():
            raise _invalid("name", "name is required")
        watchlist = Watchlist.objects.filter(user=request.user, name=name).first()
        if watchlist is None:
            raise TradingError("watchlist_not_found", f"no watchlist named {name!r}")
        return watchlist


class WatchlistSymbolApi(AlpacaApi):
    def delete(self, request, watchlist_id: str, symbol: str):
        watchlist = watchlists.watchlist_remove(
            watchlist=_watchlist(request.user, watchlist_id), symbol=symbol
        )
        return Response(_watchlist_json(watchlist, _account_id(request.user)))
