"""order_place through the database: what a trader sees after each order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import Account
from trading.errors import TradingError
from trading.models import BookLevel, BookState, Order, Trade
from trading.tests.factories import give_shares, make_stock, place
from trading.tests.snapshots import db_state

pytestmark = pytest.mark.django_db


def _levels(stock) -> list[tuple[str, str, int, int]]:
    return [
        (lvl.side, str(lvl.price), lvl.qty, lvl.orders)
        for lvl in BookLevel.objects.filter(stock=stock).order_by("side", "price")
    ]


def _reload(order: Order) -> Order:
    order.refresh_from_db()
    return order


def test_a_limit_order_that_crosses_trades_at_the_makers_price(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 10)
    ask = place(bob, acme, "sell", 10, "99.00")

    bid = place(alice, acme, "buy", 10, "101.00")

    trade = Trade.objects.get()
    assert (trade.price, trade.qty, trade.maker_side) == (Decimal("99.00"), 10, "sell")
    assert (trade.buy_order_id, trade.sell_order_id) == (bid.id, ask.id)
    assert bid.status == "filled" and bid.filled_avg_price == Decimal("99.00")
    assert _reload(ask).status == "filled"
    assert _levels(acme) == []
    # Price improvement comes back: alice paid 990, not 1010, and holds nothing reserved.
    account = Account.objects.get(user=alice)
    assert account.cash == Decimal("100000") - Decimal("990")
    assert account.reserved_cash == 0


def test_a_market_buy_trades_at_the_resting_ask(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 5)
    place(bob, acme, "sell", 5, "102.50")

    order = place(alice, acme, "buy", 5)

    assert order.status == "filled"
    assert order.filled_avg_price == Decimal("102.50")
    assert Trade.objects.get().price == Decimal("102.50")
    assert Account.objects.get(user=alice).reserved_cash == 0


def test_a_market_order_with_nothing_to_meet_is_cancelled_and_releases_its_reservation(alice):
    acme = make_stock("ACME", "100.00")

    order = place(alice, acme, "buy", 5)

    assert (order.status, order.reason, order.filled_qty) == ("canceled", "market_remainder", 0)
    assert Account.objects.get(user=alice).reserved_cash == 0
    assert _levels(acme) == []


def test_a_market_order_trades_no_further_than_the_price_band(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 20)
    # The reference moves after these rest: the old asks are now outside the band.
    place(bob, acme, "sell", 10, "105.00")
    place(bob, acme, "sell", 10, "109.00")
    type(acme).objects.filter(pk=acme.pk).update(reference_price=Decimal("96.00"))

    order = place(alice, acme, "buy", 20)

    # The band is 86.40..105.60: only the 105.00 ask is reachable.
    assert (order.filled_qty, order.status) == (10, "canceled")
    assert _levels(acme) == [("sell", "109.0000", 10, 1)]


def test_a_partly_filled_limit_order_rests_with_its_remainder(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 4)
    place(bob, acme, "sell", 4, "100.00")

    bid = place(alice, acme, "buy", 10, "100.00")

    assert (bid.status, bid.filled_qty, bid.remaining_qty) == ("partially_filled", 4, 6)
    assert _levels(acme) == [("buy", "100.0000", 6, 1)]
    # Cash is held for exactly the six shares still wanted.
    assert Account.objects.get(user=alice).reserved_cash == Decimal("600")
    assert _reload(bid).reserved_cash == Decimal("600")


def test_an_order_sweeps_several_levels_best_price_first(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 30)
    place(bob, acme, "sell", 10, "101.00")
    place(bob, acme, "sell", 10, "100.00")
    place(bob, acme, "sell", 10, "102.00")

    bid = place(alice, acme, "buy", 25, "101.50")

    prices = list(Trade.objects.order_by("seq").values_list("price", "qty"))
    assert prices == [(Decimal("100.00"), 10), (Decimal("101.00"), 10)]
    assert (bid.filled_qty, bid.status) == (20, "partially_filled")
    assert bid.filled_avg_price == Decimal("100.50")
    assert _levels(acme) == [("buy", "101.5000", 5, 1), ("sell", "102.0000", 10, 1)]


def test_orders_at_one_price_fill_oldest_first(alice, bob, charlie):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 10)
    give_shares(charlie, acme, 10)
    first = place(bob, acme, "sell", 10, "100.00")
    second = place(charlie, acme, "sell", 10, "100.00")

    place(alice, acme, "buy", 15, "100.00")

    assert _reload(first).status == "filled"
    assert (_reload(second).status, second.filled_qty) == ("partially_filled", 5)
    trades = list(Trade.objects.order_by("seq").values_list("sell_order_id", "qty"))
    assert trades == [(first.id, 10), (second.id, 5)]


def test_a_better_price_beats_an_older_order(alice, bob, charlie):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 10)
    give_shares(charlie, acme, 10)
    older = place(bob, acme, "sell", 10, "100.50")
    better = place(charlie, acme, "sell", 10, "100.00")

    place(alice, acme, "buy", 10, "101.00")

    assert _reload(better).status == "filled"
    assert _reload(older).status == "new"


@pytest.mark.parametrize("tif", ["gtc", "day"])
def test_gtc_and_day_limit_orders_rest_on_the_book(alice, tif):
    acme = make_stock("ACME", "100.00")

    order = place(alice, acme, "buy", 3, "99.00", tif=tif)

    assert (order.status, order.time_in_force) == ("new", tif)
    assert _levels(acme) == [("buy", "99.0000", 3, 1)]
    assert BookState.objects.get(stock=acme).book_seq == 1


def test_an_ioc_order_fills_what_it_can_and_cancels_the_rest(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 3)
    place(bob, acme, "sell", 3, "100.00")

    order = place(alice, acme, "buy", 10, "100.00", tif="ioc")

    assert (order.status, order.filled_qty, order.reason) == ("canceled", 3, "ioc_remainder")
    assert _levels(acme) == []
    assert Account.objects.get(user=alice).reserved_cash == 0


def test_an_ioc_sell_that_finds_nothing_releases_its_shares(alice):
    acme = make_stock("ACME", "100.00")
    give_shares(alice, acme, 10)

    order = place(alice, acme, "sell", 10, "100.00", tif="ioc")

    assert order.status == "canceled"
    position = alice.positions.get(stock=acme)
    assert (position.qty, position.reserved_qty) == (10, 0)


def test_a_fok_order_that_can_fill_fills_completely(alice, bob, charlie):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 5)
    give_shares(charlie, acme, 5)
    place(bob, acme, "sell", 5, "100.00")
    place(charlie, acme, "sell", 5, "100.10")

    order = place(alice, acme, "buy", 10, "100.10", tif="fok")

    assert (order.status, order.filled_qty) == ("filled", 10)
    assert _levels(acme) == []


def test_a_fok_order_that_cannot_fill_is_refused_and_changes_nothing(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 5)
    place(bob, acme, "sell", 5, "100.00")
    before = db_state()

    with pytest.raises(TradingError) as refused:
        place(alice, acme, "buy", 6, "100.00", tif="fok")

    assert refused.value.code == "fok_not_fillable"
    assert db_state() == before


def test_an_incoming_order_cancels_its_owners_resting_order_instead_of_trading_with_it(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(alice, acme, 5)
    give_shares(bob, acme, 5)
    own_ask = place(alice, acme, "sell", 5, "100.00")
    bobs_ask = place(bob, acme, "sell", 5, "100.00")

    bid = place(alice, acme, "buy", 5, "100.00")

    own_ask = _reload(own_ask)
    assert (own_ask.status, own_ask.reason) == ("canceled", "self_trade_prevention")
    assert _reload(bobs_ask).status == "filled"
    assert bid.status == "filled"
    trade = Trade.objects.get()
    assert (trade.buyer_id, trade.seller_id) == (alice.id, bob.id)
    # The cancelled ask's shares are free again; alice now holds 10 with none reserved.
    position = alice.positions.get(stock=acme)
    assert (position.qty, position.reserved_qty) == (10, 0)


def test_a_self_trade_cancelled_buy_releases_its_cash(alice):
    acme = make_stock("ACME", "100.00")
    give_shares(alice, acme, 5)
    own_bid = place(alice, acme, "buy", 5, "100.00")

    ask = place(alice, acme, "sell", 5, "100.00")

    assert _reload(own_bid).reason == "self_trade_prevention"
    assert ask.status == "new"  # nothing to trade with: it rests
    assert Account.objects.get(user=alice).reserved_cash == 0
    assert _levels(acme) == [("sell", "100.0000", 5, 1)]
    assert not Trade.objects.exists()


def test_each_changed_level_bumps_the_book_sequence_once(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 20)
    place(bob, acme, "sell", 10, "100.00")  # seq 1
    place(bob, acme, "sell", 10, "101.00")  # seq 2

    place(alice, acme, "buy", 15, "101.00")  # both ask levels change: 3, 4

    assert BookState.objects.get(stock=acme).book_seq == 4


def test_a_buy_without_the_cash_is_refused_with_403_and_changes_nothing(make_user):
    acme = make_stock("ACME", "100.00")
    poor = make_user("poor")
    Account.objects.filter(user=poor).update(cash=Decimal("50"))
    before = db_state()

    with pytest.raises(TradingError) as refused:
        place(poor, acme, "buy", 1, "100.00")

    assert refused.value.code == "insufficient_buying_power"
    assert db_state() == before


def test_cash_held_by_a_resting_order_cannot_be_spent_twice(make_user):
    acme = make_stock("ACME", "100.00")
    trader = make_user("trader")
    Account.objects.filter(user=trader).update(cash=Decimal("1000"))
    place(trader, acme, "buy", 10, "100.00")

    with pytest.raises(TradingError) as refused:
        place(trader, acme, "buy", 1, "99.00")

    assert refused.value.code == "insufficient_buying_power"


def test_shares_held_by_a_resting_sell_cannot_be_sold_twice(alice):
    acme = make_stock("ACME", "100.00")
    give_shares(alice, acme, 10)
    place(alice, acme, "sell", 8, "105.00")

    with pytest.raises(TradingError) as refused:
        place(alice, acme, "sell", 3, "106.00")

    assert refused.value.code == "insufficient_qty"


def test_a_sweep_through_more_orders_than_one_read_keeps_price_time_priority(alice, bob):
    """The crossing orders are read in growing chunks; none is skipped or taken out of turn."""
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 60)
    asks = [place(bob, acme, "sell", 1, f"{100 + (i % 5) / 100:.2f}") for i in range(60)]
    expected = sorted(asks, key=lambda o: (o.limit_price, o.seq))

    bid = place(alice, acme, "buy", 55, "100.04")

    assert (bid.status, bid.filled_qty) == ("filled", 55)
    traded = list(Trade.objects.order_by("seq").values_list("sell_order_id", flat=True))
    assert traded == [o.id for o in expected[:55]]
    assert _levels(acme) == [("sell", "100.0400", 5, 5)]


@pytest.mark.parametrize(
    ("side", "price"),
    [("buy", "99.00"), ("sell", "101.00"), ("buy", "101.00"), ("sell", "99.00")],
    ids=["resting buy", "resting sell", "crossing buy", "crossing sell"],
)
def test_a_user_without_an_account_is_refused_403_and_nothing_changes(alice, bob, side, price):
    from accounts.models import Account, CashEntry, User

    acme = make_stock("ACME", "100.00")
    give_shares(alice, acme, 5)
    place(alice, acme, "sell", 5, "101.00")
    place(bob, acme, "buy", 5, "99.00")
    staff = User.objects.create_user(username="staff")
    give_shares(staff, acme, 5)
    # A user whose account is gone (every user is opened one: see accounts.signals).
    CashEntry.objects.filter(account__user=staff).delete()
    Account.objects.filter(user=staff).delete()
    before = db_state()

    with pytest.raises(TradingError) as refused:
        place(staff, acme, side, 5, price)

    assert refused.value.code == "no_account"
    assert db_state() == before


def test_a_market_fok_fills_completely_or_is_refused(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 5)
    place(bob, acme, "sell", 5, "101.00")

    with pytest.raises(TradingError) as refused:
        place(alice, acme, "buy", 6, tif="fok")
    order = place(alice, acme, "buy", 5, tif="fok")

    assert refused.value.code == "fok_not_fillable"
    assert (order.status, order.filled_qty, order.type) == ("filled", 5, "market")


def test_quantities_must_be_whole_lots_and_prices_whole_ticks(alice):
    lots = make_stock("LOTS", "20.00", lot_size=100, tick_size=Decimal("0.05"))

    for qty, price, code in [(150, "20.00", "qty_off_lot"), (100, "20.03", "price_off_tick")]:
        with pytest.raises(TradingError) as refused:
            place(alice, lots, "buy", qty, price)
        assert refused.value.code == code

    order = place(alice, lots, "buy", 200, "20.05")
    assert (order.qty, order.limit_price) == (200, Decimal("20.05"))


def test_a_stock_without_a_reference_price_takes_no_orders_yet(alice):
    from marketdata.models import Stock

    fresh = Stock.objects.create(symbol="NEW", name="New listing")
    before = db_state()

    with pytest.raises(TradingError) as refused:
        place(alice, fresh, "buy", 1, "10.00")

    assert refused.value.code == "no_reference_price"
    assert db_state() == before


def test_a_market_buy_reserves_what_the_walk_of_the_book_costs_not_the_band_edge(alice, bob):
    """Finding 11: the band's edge (110.00) x 1,000 is more than alice has; the book is not."""
    from accounts.models import Account

    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 1000)
    place(bob, acme, "sell", 600, "95.00")
    place(bob, acme, "sell", 400, "96.00")

    order = place(alice, acme, "buy", 1000, tif="ioc")

    assert (order.status, order.filled_qty) == ("filled", 1000)
    account = Account.objects.get(user=alice)
    assert account.cash == Decimal("100000.00") - Decimal("95.00") * 600 - Decimal("96.00") * 400
    assert account.reserved_cash == 0


def test_a_market_buy_still_refuses_a_walk_it_cannot_pay_for_fees_included(alice, bob, settings):
    settings.TRADING_TAKER_FEE_BPS = 100  # 1 %
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 1000)
    place(bob, acme, "sell", 1000, "99.50")  # 99,500 of shares, plus 995 in fees > 100,000

    before = db_state()
    with pytest.raises(TradingError) as refused:
        place(alice, acme, "buy", 1000, tif="ioc")
    assert refused.value.code == "insufficient_buying_power"
    assert db_state() == before
