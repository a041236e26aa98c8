"""`/v2/assets`, `/v2/clock` and `/v2/calendar`: what trades here, and when."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from rest_framework.response import Response

from alpaca_adapter import selectors as alpaca_selectors
from alpaca_adapter.apis.base import AlpacaApi
from alpaca_adapter.parsing import day, invalid
from alpaca_adapter.presenters import asset_json
from core.times import rfc3339
from marketdata import calendar


class AssetsApi(AlpacaApi):
    def get(self, request):
        """Every stock as an asset; `status` active|inactive, `asset_class` us_equity, and
        `exchange` (the primary listing)."""
        query = request.query_params
        status = query.get("status") or "active"
        asset_class = query.get("asset_class") or "us_equity"
        if status not in ("active", "inactive") or asset_class not in (
            "us_equity",
            "us_option",
            "crypto",
        ):
            raise invalid("status", "invalid status or asset_class")
        if status == "inactive" or asset_class != "us_equity":
            return Response([])
        stocks = alpaca_selectors.assets(exchange=query.get("exchange"))
        return Response([asset_json(s) for s in stocks])


class AssetApi(AlpacaApi):
    def get(self, request, symbol_or_asset_id: str):
        return Response(asset_json(alpaca_selectors.stock_for(symbol_or_asset_id)))


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


class CalendarApi(AlpacaApi):
    def get(self, request):
        """NYSE sessions from `start` to `end`: open and close in market time (`TIME_ZONE`)."""
        start = day(request.query_params.get("start"), "start")
        end = day(request.query_params.get("end"), "end")
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
