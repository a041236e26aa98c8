"""Users, their paper-money accounts, the cash ledger and API keys."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from core.fields import money_field


class User(AbstractUser):
    """A person or a program's owner; the house (fee) account belongs to a user too."""

    is_house = models.BooleanField(
        default=False, help_text="The exchange's own account, which collects fees."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_house"], condition=Q(is_house=True), name="one_house_user"
            )
        ]


class Account(models.Model):
    """A user's paper-money account: cash, and the part of it reserved by open orders and bids."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    account_number = models.CharField(max_length=16, unique=True)
    cash = money_field(default=0)
    reserved_cash = money_field(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(cash__gte=0), name="cash_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved_cash__gte=0), name="reserved_cash_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved_cash__lte=models.F("cash")), name="reserved_within_cash"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_number} ({self.user})"

    @property
    def available_cash(self):
        """Cash that a new order or bid may still reserve."""
        return self.cash - self.reserved_cash


class CashEntry(models.Model):
    """One movement of cash; an account's cash is the sum of its entries."""

    class Kind(models.TextChoices):
        OPENING = "opening", "Opening deposit"
        ADJUSTMENT = "adjustment", "Staff adjustment"
        TRADE = "trade", "Trade settlement"
        FEE = "fee", "Fee"
        AUCTION = "auction", "Auction settlement"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="cash_entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = money_field()
    balance_after = money_field()
    memo = models.CharField(max_length=200, blank=True)
    reference = models.CharField(
        max_length=64, blank=True, help_text="The trade, order or auction this entry settles."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "cash entries"
        indexes = [models.Index(fields=["account", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} on {self.account_id}"


class ApiKey(models.Model):
    """A program's credentials: a public key id and a secret, of which only a hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=32, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.key_id} ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
