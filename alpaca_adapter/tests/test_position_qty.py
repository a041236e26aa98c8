"""A fill's private message says the shares its trader holds right after it, not later: the
Alpaca trade_updates `position_qty` of a fill is that figure, whatever traded since."""

from __future__ import annotations

import pytest

from alpaca_adapter.presenters import trade_updates
from trading import broadcast
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    """The private orders messages each committed transaction publishes, by user id."""
    sent: list[dict] = []

    def publish(symbol, deltas, trades, order_events, positions=None):
        sent.append(broadcast.orders_messages(symbol, trades, order_events, 0.0, positions))

    monkeypatch.setattr(broadcast, "publish_market", publish)
    return sent


def test_each_fill_carries_the_position_as_of_its_own_transaction(
    alice, bob, published, django_capture_on_commit_callbacks
):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 100)
    with django_capture_on_commit_callbacks(execute=True):
        place(bob, acme, "sell", 10, "100.00")
        place(alice, acme, "buy", 4)  # a market order: 4 shares
        place(alice, acme, "buy", 10, "100.00")  # 6 more fill, 4 rest

    first, second = published[1][alice.pk], published[2][alice.pk]
    assert (first["position_qty"], second["position_qty"]) == (4, 10)
    assert published[2][bob.pk]["position_qty"] == 90  # the maker's too
    assert "position_qty" not in published[0][bob.pk]  # a resting order traded nothing

    # As Alpaca's trade_updates: the first fill reads 4 although alice holds 10 by now.
    fill = [u for u in trade_updates(first) if u["data"]["event"] == "fill"]
    assert [u["data"]["position_qty"] for u in fill] == ["4"]
