"""Settlement: cash, positions, average cost, realized P&L, fees and the ledgers behind them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from accounts.models import Account, CashEntry, User
from trading.models import Position, ShareEntry, Trade
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.django_db

START = Decimal("100000")


def _cash(user) -> Decimal:
    return Account.objects.get(user=user).cash


def _position(user, stock) -> Position:
    return Position.objects.get(user=user, stock=stock)


def test_a_trade_moves_cash_and_shares_between_buyer_and_seller(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 10)
    place(bob, acme, "sell", 10, "100.00")

    place(alice, acme, "buy", 10, "100.00")

    assert _cash(alice) == START - 1000
    assert _cash(bob) == START + 1000
    assert _position(alice, acme).qty == 10
    assert _position(bob, acme).qty == 0
    assert _position(bob, acme).reserved_qty == 0


def test_every_balance_is_the_sum_of_its_ledger_rows(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 10)
    place(bob, acme, "sell", 6, "100.00")
    place(alice, acme, "buy", 4, "100.00")
    place(alice, acme, "buy", 5, "100.00")

    for user in (alice, bob):
        account = Account.objects.get(user=user)
        entries = CashEntry.objects.filter(account=account)
        assert entries.aggregate(s=Sum("amount"))["s"] == account.cash
        assert entries.order_by("-id").first().balance_after == account.cash
        position = _position(user, acme)
        shares = ShareEntry.objects.filter(user=user, stock=acme)
        assert shares.aggregate(s=Sum("qty"))["s"] == position.qty
        assert shares.order_by("-id").first().balance_after == position.qty


def test_each_fill_writes_one_trade_row_per_side_to_each_ledger(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 10)
    place(bob, acme, "sell", 10, "100.00")

    place(alice, acme, "buy", 10, "100.00")

    trade = Trade.objects.get()
    ref = f"trade:ACME:{trade.seq}"
    cash_rows = sorted(
        CashEntry.objects.filter(reference=ref).values_list("account__user__username", "amount")
    )
    assert cash_rows == [("alice", Decimal("-1000")), ("bob", Decimal("1000"))]
    share_rows = sorted(
        ShareEntry.objects.filter(reference=ref).values_list("user__username", "qty")
    )
    assert share_rows == [("alice", 10), ("bob", -10)]


def test_average_cost_is_the_weighted_price_of_the_shares_bought(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 30)
    place(bob, acme, "sell", 10, "100.00")
    place(alice, acme, "buy", 10, "100.00")
    place(bob, acme, "sell", 20, "103.00")
    place(alice, acme, "buy", 20, "103.00")

    assert _position(alice, acme).avg_cost == Decimal("102")  # (1000 + 2060) / 30


def test_selling_realizes_profit_against_the_average_cost(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 10)
    place(bob, acme, "sell", 10, "100.00")
    place(alice, acme, "buy", 10, "100.00")
    place(bob, acme, "buy", 4, "108.00")

    place(alice, acme, "sell", 4, "108.00")

    position = _position(alice, acme)
    assert position.realized_pl == Decimal("32")  # 4 × (108 − 100)
    assert (position.qty, position.avg_cost) == (6, Decimal("100"))


def test_a_loss_is_realized_as_a_negative_amount(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(alice, acme, 10)  # granted at the reference price, 100
    place(bob, acme, "buy", 10, "95.00")

    place(alice, acme, "sell", 10, "95.00")

    position = _position(alice, acme)
    assert position.realized_pl == Decimal("-50")
    assert (position.qty, position.avg_cost) == (0, Decimal("0"))


@pytest.fixture
def fees(settings):
    """A 10 bps maker fee and a 25 bps taker fee."""
    settings.TRADING_MAKER_FEE_BPS = Decimal("10")
    settings.TRADING_TAKER_FEE_BPS = Decimal("25")
    return settings


def test_fees_go_from_both_sides_to_the_house_account(fees, alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 10)
    place(bob, acme, "sell", 10, "100.00")  # maker: 10 bps of 1000 = 1.00

    bid = place(alice, acme, "buy", 10, "100.00")  # taker: 25 bps of 1000 = 2.50

    assert _cash(alice) == START - 1000 - Decimal("2.50")
    assert _cash(bob) == START + 1000 - Decimal("1.00")
    house = User.objects.get(is_house=True)
    assert _cash(house) == Decimal("3.50")
    trade = Trade.objects.get()
    assert (trade.buyer_fee, trade.seller_fee) == (Decimal("2.50"), Decimal("1.00"))
    assert bid.fees == Decimal("2.50")
    # Nothing was created or lost: the fees only moved.
    assert sum(a.cash for a in Account.objects.all()) == 2 * START


def test_a_fee_is_rounded_down_to_the_cent(fees, alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 1)
    place(bob, acme, "sell", 1, "100.03")  # maker fee 0.100030 → 0.10

    place(alice, acme, "buy", 1, "100.03")  # taker fee 0.250075 → 0.25

    trade = Trade.objects.get()
    assert (trade.buyer_fee, trade.seller_fee) == (Decimal("0.25"), Decimal("0.10"))


def test_a_resting_buy_reserves_its_fee_cap_and_releases_what_is_unused(fees, alice, bob):
    acme = make_stock("ACME", "100.00")

    bid = place(alice, acme, "buy", 10, "100.00")

    # 1000 + 25 bps (the higher of the two fees) = 1002.50 held.
    assert bid.reserved_cash == Decimal("1002.50")
    assert Account.objects.get(user=alice).reserved_cash == Decimal("1002.50")

    give_shares(bob, acme, 10)
    place(bob, acme, "sell", 10, "100.00")

    account = Account.objects.get(user=alice)
    assert account.reserved_cash == 0
    # As the maker alice paid 10 bps, not the 25 she had reserved for.
    assert account.cash == START - 1000 - Decimal("1.00")


def test_fee_ledger_rows_name_the_trade_they_belong_to(fees, alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 10)
    place(bob, acme, "sell", 10, "100.00")

    place(alice, acme, "buy", 10, "100.00")

    fee_rows = CashEntry.objects.filter(kind="fee", reference="trade:ACME:1")
    assert sorted(fee_rows.values_list("account__user__username", "amount")) == [
        ("alice", Decimal("-2.50")),
        ("bob", Decimal("-1.00")),
        ("house", Decimal("1.00")),
        ("house", Decimal("2.50")),
    ]


def test_a_buyer_whose_whole_cash_is_reserved_can_still_be_filled(settings, make_user, bob):
    settings.STARTING_CASH = Decimal("1000")
    poor = make_user("poor")
    acme = make_stock("ACME", "100.00")
    place(poor, acme, "buy", 10, "100.00")  # holds every dollar poor has
    give_shares(bob, acme, 10)

    place(bob, acme, "sell", 10, "100.00")

    account = Account.objects.get(user=poor)
    assert (account.cash, account.reserved_cash) == (0, 0)
    assert _position(poor, acme).qty == 10


def test_fees_never_go_to_a_trader_who_signed_up_as_house(fees, make_user, alice, bob):
    impostor = make_user("house")
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 10)
    place(bob, acme, "sell", 10, "100.00")

    place(alice, acme, "buy", 10, "100.00")

    assert _cash(impostor) == START
    house = User.objects.get(is_house=True)
    assert house != impostor and _cash(house) == Decimal("3.50")
