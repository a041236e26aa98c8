"""`manage.py audit_ledger` passes a healthy market and names every tampered row."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from accounts.models import Account, CashEntry
from trading.management.commands.audit_ledger import audit_ledger
from trading.models import BookLevel, Order, Position, ShareEntry
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(settings, alice, bob, charlie):
    """A busy little market with fees: trades, partial fills, resting orders on both sides."""
    settings.TRADING_MAKER_FEE_BPS = Decimal("5")
    settings.TRADING_TAKER_FEE_BPS = Decimal("15")
    acme = make_stock("ACME", "100.00")
    zeta = make_stock("ZETA", "10.00")
    give_shares(bob, acme, 50)
    give_shares(charlie, zeta, 40)
    place(bob, acme, "sell", 20, "100.50")
    place(alice, acme, "buy", 15, "100.50")  # fills
    place(alice, acme, "buy", 10, "99.00")  # rests
    place(charlie, zeta, "sell", 30, "10.20")
    place(alice, zeta, "buy", 10, "10.30")  # fills at 10.20
    place(bob, zeta, "buy", 5, "10.00")  # rests
    return acme


def _run() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("audit_ledger", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_healthy_market_passes_with_a_summary(market):
    out, err = _run()

    assert "ledger OK" in out
    assert "total cash" in out and "open orders" in out
    assert err == ""


def test_an_empty_database_passes():
    assert audit_ledger().violations == []


def _violations() -> list[str]:
    with pytest.raises(CommandError) as failed:
        _run()
    assert failed.value.returncode == 1
    return audit_ledger().violations


def test_cash_changed_behind_the_ledgers_back_is_caught(market, alice):
    Account.objects.filter(user=alice).update(cash=Decimal("1000000"))

    found = _violations()

    assert any("ledger rows sum to" in v for v in found)
    assert any("total cash" in v for v in found)


def test_a_deleted_ledger_row_is_caught(market, bob):
    CashEntry.objects.filter(account__user=bob, kind="trade").first().delete()

    assert any("ledger rows sum to" in v for v in _violations())


def test_shares_created_from_nothing_are_caught(market, alice):
    Position.objects.filter(user=alice, stock=market).update(qty=1000)

    found = _violations()

    assert any("ledger rows sum to" in v for v in found)
    assert any("granted" in v for v in found)


def test_a_share_ledger_row_with_no_position_is_caught(market, charlie):
    ShareEntry.objects.create(
        user=charlie, stock=market, kind="trade", qty=5, balance_after=5, reference="forged"
    )

    found = _violations()

    assert any("no position" in v for v in found)


def test_a_reservation_that_does_not_match_the_order_is_caught(market, alice):
    Order.objects.filter(user=alice, status="new").update(reserved_cash=Decimal("1"))

    found = _violations()

    assert any("need" in v for v in found)
    assert any("its open buys hold" in v for v in found)


def test_shares_reserved_for_no_order_are_caught(market, charlie):
    Position.objects.filter(user=charlie).update(reserved_qty=25)

    assert any("open sells have" in v for v in _violations())


def test_a_book_level_that_disagrees_with_the_open_orders_is_caught(market):
    BookLevel.objects.filter(stock=market, side="buy").update(qty=11)

    assert any("book level ACME buy" in v for v in _violations())


def test_a_filled_quantity_without_trades_is_caught(market, alice):
    order = Order.objects.filter(user=alice, status="new").first()
    Order.objects.filter(pk=order.pk).update(filled_qty=1, status="partially_filled")

    assert any("trades sum to" in v for v in _violations())


def test_the_command_exits_with_status_1_and_names_the_violation(market, alice, capsys):
    Account.objects.filter(user=alice).update(cash=Decimal("150000"))

    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "audit_ledger"])

    assert exited.value.code == 1
    assert "VIOLATION: account" in capsys.readouterr().err
