"""Model fields every app shares: the one precision of prices and cash amounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, overload

from django.db import models
from django.db.models.expressions import Combinable

# 20 digits, 4 after the point: a hundredth of a cent, wide enough for any account's cash.
PRICE_MAX_DIGITS = 20
PRICE_DECIMAL_PLACES = 4

# What django-stubs lets a DecimalField be set to; a function call hides `null=...` from its
# plugin, so the overloads below say what it would have inferred.
_DecimalInput = str | float | Decimal | Combinable


@overload
def price_field(
    *, null: Literal[False] = False, **options: Any
) -> models.DecimalField[_DecimalInput, Decimal]: ...
@overload
def price_field(
    *, null: Literal[True], **options: Any
) -> models.DecimalField[_DecimalInput | None, Decimal | None]: ...
def price_field(*, null: bool = False, **options: Any) -> models.DecimalField[Any, Any]:
    """A decimal model field at the shared price precision (also used for cash and fees)."""
    return models.DecimalField(
        max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES, null=null, **options
    )


# Cash balances and ledger amounts: the same precision, named for what the column holds.
money_field = price_field
