"""The auctions' clock: a close task at each auction's end, and the beat sweep every second
that opens what is due, closes what is past its end (each close isolated: one that fails is
set aside for staff and retried), then runs the hooks the settings name.

`AUCTION_SWEEP_HOOKS`: dotted paths of callables run after each sweep, each returning counts
to report with the sweep's (the demo keeps its house lots running through one; the product's
sweep knows nothing of it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from core.errors import DomainError
from trading.auctions.events import AuctionEvents
from trading.auctions.services.close import LIVE, auction_close
from trading.models import Auction

log = logging.getLogger(__name__)

# Closes tried per sweep: the rest wait a second (a backlog must not hold the beat's task).
SWEEP_CLOSES = 500


def close_schedule(auction_id: int, ends_at: datetime) -> None:
    """Ask the worker to close the auction at its end (the beat sweep is the backstop)."""
    if not settings.AUCTION_SCHEDULE_CLOSE_TASKS:
        return
    try:
        current_app.send_task("trading.close_auction", args=[auction_id], eta=ends_at)
    except Exception:  # the sweep closes it anyway
        log.warning("could not schedule the close of auction %s", auction_id)


def close_schedule_on_commit(auction: Auction) -> None:
    """(Re)schedule the close at the auction's (new) end once the transaction commits."""
    auction_id, ends_at = auction.pk, auction.ends_at
    transaction.on_commit(lambda: close_schedule(auction_id, ends_at))


def auctions_sweep() -> dict[str, int]:
    """Open scheduled auctions whose start has come; close every auction whose end has passed;
    then run the sweep hooks (AUCTION_SWEEP_HOOKS) and add up what they report."""
    now = timezone.now()
    done = {"opened": _open_due(now), **_close_due(now)}
    for hook in _hooks(tuple(settings.AUCTION_SWEEP_HOOKS)):
        done.update(hook())
    return done


@cache
def _hooks(paths: tuple[str, ...]) -> list[Callable[[], dict[str, int]]]:
    return [import_string(path) for path in paths]


def _open_due(now: datetime) -> int:
    opened = 0
    for pk in Auction.objects.filter(
        status=Auction.Status.SCHEDULED, starts_at__lte=now, ends_at__gt=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            auction = (
                Auction.objects.select_for_update(of=("self",), no_key=True)
                .select_related("stock")
                .get(pk=pk)
            )
            if auction.status == Auction.Status.SCHEDULED:
                auction.status = Auction.Status.OPEN
                events = AuctionEvents(auction)
                events.public("opened")
                auction.save(update_fields=["status", "seq"])
                events.publish_on_commit()
                opened += 1
    return opened


def _close_due(now: datetime) -> dict[str, int]:
    closed = set_aside = 0
    retry_before = now - timedelta(seconds=settings.AUCTION_CLOSE_RETRY_SECONDS)
    due = (
        Auction.objects.filter(status__in=LIVE, ends_at__lte=now)
        .filter(Q(close_failed_at__isnull=True) | Q(close_failed_at__lte=retry_before))
        .order_by("ends_at")
    )
    for pk in due.values_list("pk", flat=True)[:SWEEP_CLOSES]:
        result = auction_close_or_set_aside(auction_id=pk)
        if result is None:
            set_aside += 1
        else:
            closed += result.status not in LIVE
    return {"closed": closed, "set_aside": set_aside}


def auction_close_or_set_aside(*, auction_id: int) -> Auction | None:
    """Close one auction; if its close fails, set it aside with the reason and return None.

    Each close is its own transaction: a failure rolls back that close alone (nothing is half
    applied), is recorded on the auction for staff (admin, /healthz), and the caller goes on
    with the next. The sweep tries it again after AUCTION_CLOSE_RETRY_SECONDS.
    """
    try:
        return auction_close(auction_id=auction_id)
    except Exception as exc:  # any failure: the other auctions must still close
        reason = (
            f"{exc.code}: {exc.message}"
            if isinstance(exc, DomainError)
            else f"{type(exc).__name__}: {exc}"
        )
        log.exception("auction %s could not close; set aside", auction_id)
        Auction.objects.filter(pk=auction_id).update(
            close_error=reason[:500],
            close_failures=F("close_failures") + 1,
            close_failed_at=timezone.now(),
        )
        return None
