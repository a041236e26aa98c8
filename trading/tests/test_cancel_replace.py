"""Cancelling, cancelling everything, replacing, and the close's expiry of day orders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import Account
from trading.errors import TradingError
from trading.models import BookLevel, BookState, Order, Position, Trade
from trading.services import order_cancel, order_cancel_all, order_replace, orders_expire_day
from trading.tests.factories import give_shares, make_stock, place
from trading.tests.snapshots import db_state

pytestmark = pytest.mark.django_db


def _reserved(user) -> Decimal:
    return Account.objects.get(user=user).reserved_cash


def _levels(stock) -> list[tuple[str, str, int, int]]:
    return [
        (lvl.side, str(lvl.price), lvl.qty, lvl.orders)
        for lvl in BookLevel.objects.filter(stock=stock).order_by("side", "price")
    ]


def test_cancelling_a_buy_takes_it_off_the_book_and_frees_its_cash(alice):
    acme = make_stock("ACME", "100.00")
    bid = place(alice, acme, "buy", 10, "99.00")

    canceled = order_cancel(user=alice, order_id=bid.id)

    assert (canceled.status, canceled.reason) == ("canceled", "user_requested")
    assert canceled.canceled_at is not None
    assert _reserved(alice) == 0
    assert _levels(acme) == []
    assert BookState.objects.get(stock=acme).book_seq == 2


def test_cancelling_a_partly_filled_sell_frees_only_the_unsold_shares(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(alice, acme, 10)
    ask = place(alice, acme, "sell", 10, "100.00")
    place(bob, acme, "buy", 4, "100.00")

    order_cancel(user=alice, order_id=ask.id)

    position = Position.objects.get(user=alice, stock=acme)
    assert (position.qty, position.reserved_qty) == (6, 0)


def test_another_users_order_is_not_found_and_stays_open(alice, bob):
    acme = make_stock("ACME", "100.00")
    bid = place(alice, acme, "buy", 1, "99.00")

    with pytest.raises(TradingError) as refused:
        order_cancel(user=bob, order_id=bid.id)

    assert refused.value.code == "not_found"
    bid.refresh_from_db()
    assert bid.status == "new"


def test_a_filled_order_cannot_be_cancelled(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 1)
    place(bob, acme, "sell", 1, "100.00")
    bid = place(alice, acme, "buy", 1, "100.00")
    before = db_state()

    with pytest.raises(TradingError) as refused:
        order_cancel(user=alice, order_id=bid.id)

    assert refused.value.code == "order_not_cancelable"
    assert db_state() == before


def test_cancel_all_cancels_every_open_order_on_every_symbol_and_nothing_else(alice, bob):
    acme = make_stock("ACME", "100.00")
    zeta = make_stock("ZETA", "20.00")
    give_shares(alice, zeta, 5)
    place(alice, acme, "buy", 2, "99.00")
    place(alice, acme, "buy", 1, "98.00")
    place(alice, zeta, "sell", 5, "21.00")
    bobs = place(bob, acme, "buy", 1, "97.00")

    canceled = order_cancel_all(user=alice)

    assert len(canceled) == 3
    assert not Order.objects.filter(user=alice, status__in=["new", "partially_filled"]).exists()
    assert _reserved(alice) == 0
    assert Position.objects.get(user=alice, stock=zeta).reserved_qty == 0
    bobs.refresh_from_db()
    assert bobs.status == "new"
    assert _levels(acme) == [("buy", "97.0000", 1, 1)]
    assert _levels(zeta) == []


def test_a_replace_is_a_new_order_at_the_back_of_the_queue(alice, bob, charlie):
    acme = make_stock("ACME", "100.00")
    first = place(alice, acme, "buy", 5, "99.00")
    second = place(bob, acme, "buy", 5, "99.00")

    new = order_replace(user=alice, order_id=first.id, qty=6)

    first.refresh_from_db()
    assert first.status == "replaced" and first.replaced_at is not None
    assert new.replaces_id == first.id and new.status == "new"
    assert (new.qty, new.limit_price) == (6, Decimal("99.00"))
    assert new.seq > second.seq
    assert _levels(acme) == [("buy", "99.0000", 11, 2)]
    assert _reserved(alice) == Decimal("594")
    # Time priority was lost: bob's order, once second, fills first now.
    give_shares(charlie, acme, 5)
    place(charlie, acme, "sell", 5, "99.00")
    assert Trade.objects.get().buy_order_id == second.id


def test_a_replace_can_move_the_price_and_trade_at_once(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 5)
    place(bob, acme, "sell", 5, "101.00")
    bid = place(alice, acme, "buy", 5, "99.00")

    new = order_replace(user=alice, order_id=bid.id, limit_price="101.00")

    assert new.status == "filled"
    assert _reserved(alice) == 0
    assert _levels(acme) == []


def test_a_replaced_partly_filled_order_carries_on_with_what_was_left(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 3)
    place(bob, acme, "sell", 3, "100.00")
    bid = place(alice, acme, "buy", 10, "100.00")

    new = order_replace(user=alice, order_id=bid.id, limit_price="99.50")

    assert (new.qty, new.limit_price) == (7, Decimal("99.50"))
    assert _reserved(alice) == Decimal("696.50")


def test_a_replace_of_a_sell_moves_the_share_reservation(alice):
    acme = make_stock("ACME", "100.00")
    give_shares(alice, acme, 10)
    ask = place(alice, acme, "sell", 4, "101.00")

    order_replace(user=alice, order_id=ask.id, qty=9)

    assert Position.objects.get(user=alice, stock=acme).reserved_qty == 9


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"limit_price": "150.00"}, "price_outside_band"),
        ({"qty": "0"}, "invalid_qty"),
        ({"qty": "100000"}, "insufficient_buying_power"),
        ({"limit_price": "99.001"}, "price_off_tick"),
        ({"time_in_force": "fok", "limit_price": "99.00"}, "fok_not_fillable"),
    ],
)
def test_a_replace_that_is_refused_leaves_the_old_order_as_it_was(alice, change, code):
    acme = make_stock("ACME", "100.00")
    bid = place(alice, acme, "buy", 5, "99.00")
    before = db_state()

    with pytest.raises(TradingError) as refused:
        order_replace(user=alice, order_id=bid.id, **change)

    assert refused.value.code == code
    assert db_state() == before


def test_a_closed_order_cannot_be_replaced(alice):
    acme = make_stock("ACME", "100.00")
    bid = place(alice, acme, "buy", 5, "99.00")
    order_cancel(user=alice, order_id=bid.id)

    with pytest.raises(TradingError) as refused:
        order_replace(user=alice, order_id=bid.id, qty=3)

    assert refused.value.code == "order_not_replaceable"


def test_a_replace_with_nothing_to_change_is_refused(alice):
    acme = make_stock("ACME", "100.00")
    bid = place(alice, acme, "buy", 5, "99.00")

    with pytest.raises(TradingError) as refused:
        order_replace(user=alice, order_id=bid.id)

    assert refused.value.code == "nothing_to_replace"


def test_the_close_expires_day_orders_and_keeps_gtc_orders(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 5)
    day_bid = place(alice, acme, "buy", 5, "99.00", tif="day")
    gtc_bid = place(alice, acme, "buy", 5, "98.00", tif="gtc")
    day_ask = place(bob, acme, "sell", 5, "101.00", tif="day")

    assert orders_expire_day() == 2

    day_bid.refresh_from_db()
    day_ask.refresh_from_db()
    gtc_bid.refresh_from_db()
    assert (day_bid.status, day_bid.reason) == ("expired", "day_order_expired")
    assert day_bid.expired_at is not None and day_bid.canceled_at is None
    assert day_ask.status == "expired"
    assert gtc_bid.status == "new"
    assert _reserved(alice) == Decimal("490")
    assert Position.objects.get(user=bob, stock=acme).reserved_qty == 0
    assert _levels(acme) == [("buy", "98.0000", 5, 1)]
