"""`/v2/account`: the account, its configurations, its portfolio history and activities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from rest_framework.response import Response

from alpaca_adapter import selectors as alpaca_selectors
from alpaca_adapter.apis.base import AlpacaApi
from alpaca_adapter.parsing import blank, invalid, moment
from alpaca_adapter.presenters import account_json, configuration_json
from core.times import parse_count
from trading import selectors
from trading.services import configuration


class AccountApi(AlpacaApi):
    def get(self, request):
        """Your account as Alpaca's TradeAccount."""
        summary = selectors.account_summary(user=request.user)
        account = summary["account"]
        return Response(
            account_json(
                summary,
                last_equity=alpaca_selectors.last_equity(account),
                suspended=selectors.trading_suspended(user=request.user),
            )
        )


class ConfigurationsApi(AlpacaApi):
    def get(self, request):
        return Response(configuration_json(selectors.trading_configuration(user=request.user)))

    def patch(self, request):
        """Change suspend_trade, trade_confirm_email, dtbp_check, pdt_check."""
        changes = request.data if isinstance(request.data, dict) else {}
        configuration.configuration_update(user=request.user, changes=changes)
        return Response(configuration_json(selectors.trading_configuration(user=request.user)))


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
        raise invalid(
            "period", "period must be a number and D, W, M or A, like 1W (100 years at most)"
        )
    return timedelta(days=count * PERIOD_UNITS[unit])


def _moments(query) -> tuple[list[datetime], str]:
    """The history's points (the last one now, or `end`) and its timeframe's name."""
    period = _period(query.get("period"))
    timeframe = query.get("timeframe") or ("15Min" if period <= timedelta(days=1) else "1D")
    if timeframe not in TIMEFRAMES:
        raise invalid("timeframe", "timeframe must be 1Min, 5Min, 15Min, 1H or 1D")
    step = TIMEFRAMES[timeframe]
    end = timezone.now()
    if not blank(query.get("end")):
        end = moment(query["end"], "end")
    start = end - period
    if not blank(query.get("start")):
        start = moment(query["start"], "start")
    if start >= end:
        raise invalid("start", "start must be before end")
    first = datetime.fromtimestamp(
        start.timestamp() // step.total_seconds() * step.total_seconds(), UTC
    )
    count = int((end - first) / step) + 1
    if count > MAX_POINTS:
        raise invalid("timeframe", f"at most {MAX_POINTS} points; take a longer timeframe")
    moments = [first + i * step for i in range(count)]
    if moments[-1] < end:  # the last point is now: equity as it stands
        moments.append(end)
    return moments, timeframe


class PortfolioHistoryApi(AlpacaApi):
    def get(self, request):
        """Equity and P&L over `period` (1D, 1W, 1M, 1A…) at `timeframe` steps, from the ledger."""
        moments, timeframe = _moments(request.query_params)
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


class ActivitiesApi(AlpacaApi):
    def get(self, request, activity_type: str | None = None):
        """Fills (FILL) and cash activities (CSD, JNLC, FEE), newest first, paged."""
        query = request.query_params
        types = [activity_type] if activity_type else None
        if not types and not blank(query.get("activity_types")):
            types = [t.strip().upper() for t in query["activity_types"].split(",")]
        try:
            size = parse_count(query.get("page_size") or "100", low=1, high=100)
        except ValueError:
            raise invalid("page_size", "page_size must be 1 to 100") from None
        direction = query.get("direction") or "desc"
        if direction not in ("asc", "desc"):
            raise invalid("direction", "direction must be asc or desc")
        after = moment(query["after"], "after") if not blank(query.get("after")) else None
        until = moment(query["until"], "until") if not blank(query.get("until")) else None
        account = selectors.account_summary(user=request.user)["account"]
        rows = alpaca_selectors.activities(
            account, types=types, after=after, until=until, direction=direction
        )
        token = query.get("page_token")
        if token:
            ids = [r["id"] for r in rows]
            rows = rows[ids.index(token) + 1 :] if token in ids else []
        return Response(rows[:size])
