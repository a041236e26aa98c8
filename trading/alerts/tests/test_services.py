"""Price alerts: armed with checks, fired once by the trades and reference prices that reach
them, told on the private stream and kept as notifications; fills are notifications too."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketdata import price_watch
from trading.alerts import selectors
from trading.alerts import services as alerts
from trading.alerts.models import Notification, PriceAlert
from trading.errors import TradingError
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def told(monkeypatch):
    """The alert messages sent on users' private streams: [(user id, message)]."""
    sent: list[tuple[int, dict]] = []
    monkeypatch.setattr(
        alerts, "_publish", lambda user_id, message: sent.append((user_id, message))
    )
    return sent


@pytest.fixture
def acme():
    return make_stock("ACME", "100.00")


def arm(user, direction: str, level: str, symbol: str = "ACME") -> PriceAlert:
    return alerts.price_alert_create(user=user, symbol=symbol, direction=direction, level=level)


def trade_at(buyer, seller, stock, price: str, qty: int = 1) -> None:
    give_shares(seller, stock, qty)
    place(seller, stock, "sell", qty, price)
    place(buyer, stock, "buy", qty, price)


# --------------------------------------------------------------------------- arming
def test_an_alert_is_armed_on_a_known_stock_at_a_level_on_its_tick(alice, acme):
    alert = arm(alice, "above", "105.50")

    assert (alert.stock, alert.direction, alert.level, alert.fired_at) == (
        acme,
        "above",
        Decimal("105.50"),
        None,
    )
    assert selectors.alerts_for(user=alice) == [alert]


@pytest.mark.parametrize(
    ("symbol", "direction", "level", "code"),
    [
        ("NOPE", "above", "105", "unknown_symbol"),
        ("", "above", "105", "unknown_symbol"),
        ("ACME", "sideways", "105", "invalid_direction"),
        ("ACME", "above", "0", "invalid_level"),
        ("ACME", "below", "-5", "invalid_level"),
        ("ACME", "above", "abc", "invalid_level"),
        ("ACME", "above", "NaN", "invalid_level"),
        ("ACME", "above", "Infinity", "invalid_level"),
        ("ACME", "above", "1e30", "invalid_level"),
        ("ACME", "above", "105.005", "level_off_tick"),
        ("ACME", "above", "100.00", "level_already_reached"),
        ("ACME", "below", "100.01", "level_already_reached"),
    ],
)
def test_a_bad_alert_is_refused_with_a_stable_code(alice, acme, symbol, direction, level, code):
    with pytest.raises(TradingError) as refused:
        arm(alice, direction, level, symbol=symbol)

    assert refused.value.code == code
    assert not PriceAlert.objects.exists()


def test_the_level_already_reached_is_judged_on_the_last_trade_once_the_stock_traded(
    alice, bob, charlie, acme
):
    trade_at(bob, charlie, acme, "103.00")

    # The reference is still 100: 102 is below the last trade, so "above 102" is reached.
    with pytest.raises(TradingError) as refused:
        arm(alice, "above", "102.00")
    assert refused.value.code == "level_already_reached"
    assert arm(alice, "below", "102.00").direction == "below"


def test_a_user_may_have_only_so_many_armed_alerts(alice, bob, acme, settings):
    settings.PRICE_ALERTS_PER_USER = 2
    first = arm(alice, "above", "110")
    arm(alice, "below", "90")

    with pytest.raises(TradingError) as refused:
        arm(alice, "above", "111")
    assert refused.value.code == "too_many_alerts"
    assert arm(bob, "above", "111").user == bob  # the cap is each user's own

    # A fired alert no longer counts against it.
    PriceAlert.objects.filter(pk=first.pk).update(fired_at="2026-01-07T16:00:00Z")
    assert arm(alice, "above", "112").level == Decimal("112")


def test_only_the_owner_deletes_an_alert(alice, bob, acme):
    alert = arm(alice, "above", "110")

    with pytest.raises(TradingError) as refused:
        alerts.price_alert_delete(user=bob, alert_id=alert.pk)
    assert refused.value.code == "alert_not_found"
    alerts.price_alert_delete(user=alice, alert_id=alert.pk)
    assert not PriceAlert.objects.exists()


# --------------------------------------------------------------------------- firing on trades
def test_a_trade_that_reaches_the_level_fires_the_alert_once(
    alice, bob, charlie, acme, told, django_capture_on_commit_callbacks
):
    above = arm(alice, "above", "102.00")
    below = arm(alice, "below", "95.00")
    arm(alice, "above", "104.00")

    with django_capture_on_commit_callbacks(execute=True):
        trade_at(bob, charlie, acme, "101.99")
    assert told == []

    with django_capture_on_commit_callbacks(execute=True):
        trade_at(bob, charlie, acme, "102.50")
    above.refresh_from_db()
    below.refresh_from_db()
    assert above.fired_at is not None and above.fired_price == Decimal("102.50")
    assert below.fired_at is None
    assert [(user, m["type"], m["alert_id"], m["price"]) for user, m in told] == [
        (alice.pk, "alert.fired", above.pk, "102.5000")
    ]
    assert told[0][1]["text"] == "ACME traded at $102.50: your alert at or above $102.00 fired."

    # Trading there again does not fire it again.
    with django_capture_on_commit_callbacks(execute=True):
        trade_at(bob, charlie, acme, "102.60")
    assert len(told) == 1
    alert_lines = Notification.objects.filter(user=alice, kind="alert")
    assert [n.text for n in alert_lines] == [told[0][1]["text"]]


def test_a_fall_to_the_level_fires_a_below_alert(
    alice, bob, charlie, acme, told, django_capture_on_commit_callbacks
):
    below = arm(alice, "below", "98.00")

    with django_capture_on_commit_callbacks(execute=True):
        trade_at(bob, charlie, acme, "97.50")

    below.refresh_from_db()
    assert below.fired_price == Decimal("97.50")
    assert [m["direction"] for _, m in told] == ["below"]


def test_fills_are_notifications_of_both_sides(
    alice, bob, acme, told, django_capture_on_commit_callbacks
):
    give_shares(bob, acme, 5)
    place(bob, acme, "sell", 5, "100.00")

    with django_capture_on_commit_callbacks(execute=True):
        place(alice, acme, "buy", 3, "100.00")

    assert [n.text for n in selectors.notifications_for(user=alice)] == [
        "Bought 3 ACME at $100.00."
    ]
    assert [n.text for n in selectors.notifications_for(user=bob)] == [
        "Sold 3 ACME at $100.00 (part of your order)."
    ]
    assert selectors.unread_count(user=alice) == 1


def test_marking_read_empties_the_bell(alice, bob, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        trade_at(alice, bob, acme, "100.00")
    assert selectors.unread_count(user=alice) == 1

    assert alerts.notifications_mark_read(user=alice) == 1
    assert selectors.unread_count(user=alice) == 0
    assert selectors.unread_count(user=bob) == 1


# --------------------------------------------------------------------------- reference prices
def test_a_reference_price_fires_alerts_of_a_stock_not_traded_here(
    alice, acme, told, django_capture_on_commit_callbacks
):
    above = arm(alice, "above", "101.00")
    other = make_stock("BOLT", "20.00")
    untouched = arm(alice, "above", "21.00", symbol="BOLT")

    with django_capture_on_commit_callbacks(execute=True):
        price_watch.moved({acme.pk: Decimal("101.2500"), other.pk: Decimal("20.5000")})

    above.refresh_from_db()
    untouched.refresh_from_db()
    assert above.fired_price == Decimal("101.2500")
    assert untouched.fired_at is None
    assert [m["source"] for _, m in told] == ["reference"]
    assert "has a reference price of $101.25" in told[0][1]["text"]


def test_a_reference_price_does_not_fire_alerts_of_a_stock_traded_here(
    alice, bob, charlie, acme, told
):
    trade_at(bob, charlie, acme, "100.00")
    above = arm(alice, "above", "101.00")

    price_watch.moved({acme.pk: Decimal("105.0000")})

    above.refresh_from_db()
    assert above.fired_at is None
    assert told == []


def test_checking_many_moved_stocks_reads_the_alerts_once(
    alice, acme, told, django_assert_num_queries
):
    stocks = [make_stock(f"S{i}", "10.00") for i in range(30)]
    moves = {s.pk: alerts.Move(Decimal("10.01"), Decimal("10.01")) for s in stocks}

    # One read of the candidates (with the traded-here exclusion), nothing fired.
    with django_assert_num_queries(1):
        assert alerts.price_alerts_fire(moves=moves, source="reference") == []
