"""Finding 9: a book snapshot's levels are exactly those of its `seq`."""

from __future__ import annotations

import pytest

from trading import selectors
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_change_committed_between_the_reads_does_not_mix_into_the_snapshot(
    alice, bob, monkeypatch
):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 10)
    place(bob, acme, "sell", 5, "101.00")
    read_levels = selectors._book_levels
    interleaved = []

    def levels_with_a_commit_first(stock, depth):
        if not interleaved:  # another process commits right after the seq was read
            interleaved.append(place(bob, acme, "sell", 5, "102.00"))
        return read_levels(stock, depth)

    monkeypatch.setattr(selectors, "_book_levels", levels_with_a_commit_first)
    snapshot = selectors.book_snapshot(stock=acme, depth=10)
    monkeypatch.undo()

    assert interleaved
    assert snapshot == selectors.book_snapshot(stock=acme, depth=10)
    assert [a["price"] for a in snapshot["asks"]] == ["101.0000", "102.0000"]
