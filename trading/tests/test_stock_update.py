"""Staff change a stock's tick, lot or band only where resting orders still fit them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import DomainError
from trading.services import stock_update
from trading.tests.factories import make_stock, place

pytestmark = pytest.mark.django_db


def test_a_lot_that_resting_orders_do_not_fill_is_refused(alice):
    acme = make_stock("ACME", "10.00")
    place(alice, acme, "buy", 3, "9.50")

    with pytest.raises(DomainError) as refused:
        stock_update(stock_id=acme.pk, lot_size=2)

    assert refused.value.code == "orders_off_lot"
    assert refused.value.fields == {"lot_size": ["Resting orders are off this lot."]}
    acme.refresh_from_db()
    assert acme.lot_size == 1


def test_a_tick_and_band_that_fit_are_saved(alice):
    acme = make_stock("ACME", "10.00")
    place(alice, acme, "buy", 3, "9.50")

    stock_update(stock_id=acme.pk, tick_size="0.05", band_pct="0.25")

    acme.refresh_from_db()
    assert (acme.tick_size, acme.band_pct) == (Decimal("0.05"), Decimal("0.25"))
    with pytest.raises(DomainError) as refused:
        stock_update(stock_id=acme.pk, tick_size="0.20")
    assert refused.value.code == "orders_off_tick"
