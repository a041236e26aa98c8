"""Reads of price alerts and notifications."""

from __future__ import annotations

from django.db.models import F

from accounts.models import User
from trading.alerts.models import Notification, PriceAlert


def notifications_for(*, user: User, limit: int = 100) -> list[Notification]:
    """The user's latest notifications, newest first."""
    return list(Notification.objects.filter(user=user).order_by("-created_at", "-pk")[:limit])


def unread_count(*, user: User) -> int:
    """What the bell in the top bar counts."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def alerts_for(*, user: User, limit: int = 200) -> list[PriceAlert]:
    """The user's price alerts: armed ones first (newest first), then fired, latest first.

    Bounded: the armed ones are capped (`PRICE_ALERTS_PER_USER`), fired ones pile up, so a
    page or an API answer shows the latest `limit` of them however many there are."""
    return list(
        PriceAlert.objects.filter(user=user)
        .select_related("stock")
        .order_by(F("fired_at").desc(nulls_first=True), "-created_at")[:limit]
    )
