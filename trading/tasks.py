"""Timed trading jobs run by Celery beat (and the close scheduled at each auction's end)."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from marketdata import calendar
from trading.auctions.scheduler import auction_close_or_set_aside, auctions_sweep
from trading.demo import demo_maker_open, demo_maker_requote
from trading.services import orders_expire_day


@shared_task(
    name="trading.expire_day_orders",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def expire_day_orders() -> int:
    """Expire every open day order once the NYSE session of the day has closed.

    Beat calls this on weekdays at 13:00 (the early closes) and at MARKET_CLOSE; the calendar
    decides: nothing happens on a holiday, or at 13:00 on a full day.
    """
    if not calendar.session_closed_today(timezone.now()):
        return 0
    return orders_expire_day()


@shared_task(name="trading.close_due_auctions")
def close_due_auctions() -> dict[str, int]:
    """Every second: open auctions whose start has come, close those whose end has passed,
    then the sweep's hooks (AUCTION_SWEEP_HOOKS: the demo's house lots, when it runs)."""
    return auctions_sweep()


@shared_task(name="trading.close_auction")
def close_auction(auction_id: int) -> str | None:
    """Close one auction at its end; a no-op if it is already closed or its end moved. A close
    that fails is set aside for staff and retried by the sweep (not here)."""
    auction = auction_close_or_set_aside(auction_id=auction_id)
    return None if auction is None else auction.status


@shared_task(name="trading.demo_maker_requote")
def requote_demo_maker() -> int:
    """Every few seconds in the demo: the market maker follows the reference price."""
    if not settings.DEMO_MARKET_MAKER:
        return 0
    return demo_maker_requote()


@shared_task(name="trading.demo_open_market")
def open_demo_market(symbol: str) -> int:
    """In the demo: the market maker quotes a stock someone opened with an empty book."""
    if not settings.DEMO_MARKET_MAKER:
        return 0
    return demo_maker_open(symbol=symbol)
