"""A crash in the middle of settlement leaves the database as before the order, never between."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trading import broadcast, services
from trading.events import MarketEvents
from trading.management.commands.audit_ledger import audit_ledger
from trading.services import cancels, placement, settlement
from trading.tests.factories import give_shares, make_stock, place
from trading.tests.snapshots import db_state

# transaction=True: order_place's transaction is then the outermost one, as in production,
# not a savepoint inside the test's own transaction.
pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    """The injected crash."""


# Where a write can fail: a function the order path calls, or a model manager's method.
MANAGERS = {
    "cash_move": (settlement, "cash_move"),
    "accounts_save": (settlement, "accounts_save"),
    "insert_together": (settlement, "insert_together"),
    "_record_fill": (placement, "_record_fill"),
    "book_changes_apply": (placement, "book_changes_apply"),
    "publish_on_commit": (MarketEvents, "publish_on_commit"),
    "_cancel_in_place": (placement, "_cancel_in_place"),
    "cancels.book_changes_apply": (cancels, "book_changes_apply"),
}


def _fail_on_call(monkeypatch, name: str, n: int) -> list[int]:
    """Make the named function raise on its n-th call; returns the call counter."""
    owner, attr = MANAGERS[name]
    real = getattr(owner, attr)
    calls = [0]

    def flaky(*args, **kwargs):
        calls[0] += 1
        if calls[0] == n:
            raise Boom(f"{name} call {n}")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, attr, flaky)
    return calls


@pytest.fixture
def crossed_market(settings, alice, bob, charlie):
    """Fees on; bob and charlie rest asks that alice's buy will sweep (two fills)."""
    settings.TRADING_MAKER_FEE_BPS = Decimal("10")
    settings.TRADING_TAKER_FEE_BPS = Decimal("20")
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 10)
    give_shares(charlie, acme, 10)
    place(bob, acme, "sell", 6, "100.00")
    place(charlie, acme, "sell", 10, "100.50")
    place(alice, acme, "buy", 3, "99.00")  # a resting bid of the taker: its level must survive
    return acme


@pytest.mark.parametrize(
    ("name", "n"),
    [
        ("cash_move", 1),  # the first fill's buyer debit
        ("cash_move", 3),  # the first fill's fee
        ("cash_move", 7),  # the second fill, after the first is fully settled
        ("cash_move", 12),  # the very last cash move of the order
        ("accounts_save", 1),  # the order and the positions written; cash not yet
        ("insert_together", 1),  # the accounts written; trades and ledger entries not yet
        ("_record_fill", 3),
        ("book_changes_apply", 1),  # after every trade, before the book is written
        ("publish_on_commit", 1),  # after everything, before the stream messages are scheduled
    ],
)
def test_a_crash_during_settlement_leaves_nothing_half_applied(
    crossed_market, alice, monkeypatch, name, n
):
    published = []
    monkeypatch.setattr(broadcast, "publish_market", lambda *a: published.append(a))
    before = db_state()
    calls = _fail_on_call(monkeypatch, name, n)

    with pytest.raises(Boom):
        place(alice, crossed_market, "buy", 12, "100.50")

    assert calls[0] == n  # the crash happened where it was meant to
    assert db_state() == before
    assert published == []  # a rolled-back order is never announced
    assert audit_ledger().violations == []


def test_the_same_order_succeeds_once_the_crash_is_gone(crossed_market, alice, monkeypatch):
    _fail_on_call(monkeypatch, "cash_move", 5)
    with pytest.raises(Boom):
        place(alice, crossed_market, "buy", 12, "100.50")
    monkeypatch.undo()

    order = place(alice, crossed_market, "buy", 12, "100.50")

    assert (order.status, order.filled_qty) == ("filled", 12)
    assert audit_ledger().violations == []


@pytest.mark.parametrize(("name", "n"), [("_cancel_in_place", 1), ("cash_move", 1)])
def test_a_crash_during_a_replace_leaves_the_old_order_on_the_book(
    crossed_market, alice, monkeypatch, name, n
):
    from trading.models import Order

    old = Order.objects.get(user=alice, side="buy", status="new")
    before = db_state()
    _fail_on_call(monkeypatch, name, n)

    with pytest.raises(Boom):
        services.order_replace(user=alice, order_id=old.id, limit_price="100.50", qty=8)

    assert db_state() == before


def test_a_crash_while_cancelling_everything_keeps_the_symbols_already_done(
    crossed_market, bob, monkeypatch
):
    """Cancel-all is atomic per symbol: a crash on the second symbol keeps the first's cancels."""
    from trading.models import Order

    zeta = make_stock("ZETA", "10.00")
    give_shares(bob, zeta, 5)
    place(bob, zeta, "sell", 5, "10.50")
    _fail_on_call(monkeypatch, "cancels.book_changes_apply", 2)

    with pytest.raises(Boom):
        services.order_cancel_all(user=bob)

    statuses = dict(Order.objects.filter(user=bob).values_list("stock__symbol", "status"))
    assert statuses == {"ACME": "canceled", "ZETA": "new"}
    assert audit_ledger().violations == []
