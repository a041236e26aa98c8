"""The alerts wing's tables: price alerts and the notification list (app label `trading`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import price_field


class PriceAlert(models.Model):
    """A level a user wants to hear about on one stock: "above $X" or "below $X".

    It watches the price positions are marked at (the last trade here, the reference price for
    a stock that has not traded here) and fires once: `fired_at` is set by a conditional update,
    so two processes that see the same crossing cannot both fire it.
    """

    class Direction(models.TextChoices):
        ABOVE = "above", "at or above"
        BELOW = "below", "at or below"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="price_alerts"
    )
    stock = models.ForeignKey("marketdata.Stock", on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=5, choices=Direction.choices)
    level = price_field()
    created_at = models.DateTimeField(auto_now_add=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    fired_price = price_field(null=True, blank=True)

    class Meta:
        indexes = [
            # The crossing check reads the armed alerts of the symbols that moved.
            models.Index(
                fields=["stock", "direction", "level"],
                condition=Q(fired_at__isnull=True),
                name="armed_alerts_by_stock",
            ),
            models.Index(fields=["user", "-created_at"], name="alerts_by_user"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(level__gt=0), name="alert_level_positive")
        ]

    def __str__(self) -> str:
        return f"{self.stock_id} {self.direction} {self.level}"


class Notification(models.Model):
    """One line of a user's notification list: a fill, a price alert that fired."""

    class Kind(models.TextChoices):
        FILL = "fill", "Fill"
        ALERT = "alert", "Price alert"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notifications_by_user"),
            # The bell counts the unread ones on every page.
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="unread_by_user"),
        ]

    def __str__(self) -> str:
        return self.text
