"""`OrderBook.place`, the inlined path without a report, against `submit` on random order flow.

`place` has its own copy of the resting and matching code (book.py is the hot path), so it
is held here against `submit`, which the property tests in test_properties.py hold against
the naive model: twin books, one fed through each, must agree after every operation.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trading.engine import BUY, FOK, GTC, IOC, SELL, IncomingOrder, OrderBook, RestingOrder
from trading.tests.engine.test_properties import OPS, long_random_flow


def book_state(book: OrderBook) -> tuple:
    """Everything a reader can see of a book."""
    return (
        book.depth(1000),
        book.best_bid(),
        book.best_ask(),
        book.bid_volume(),
        book.ask_volume(),
        len(book),
        book.last_seq,
        [list(book.resting(side)) for side in (BUY, SELL)],
        [list(book.levels(side)) for side in (BUY, SELL)],
    )


def run_twins(ops: list[tuple]) -> None:
    """Play `ops` through `submit` on one book and `place` on its twin, comparing each step."""
    by_submit, by_place = OrderBook(), OrderBook()
    next_id = 0
    for op in ops:
        kind = op[0]
        if kind == "submit":
            _, account, side, price, qty, tif = op
            next_id += 1
            result = by_submit.submit(IncomingOrder(next_id, account, side, price, qty, tif))
            assert by_place.place(next_id, account, side, price, qty, tif) == result.filled
        elif kind == "cancel":
            assert by_place.cancel(op[1]) is by_submit.cancel(op[1])
        elif kind == "reduce":
            _, order_id, qty = op
            assert by_place.reduce(order_id, qty) == by_submit.reduce(order_id, qty)
        else:  # add, where it would not cross (as a replay seeds a book)
            _, account, side, price, qty = op
            other = by_submit.best_ask() if side == BUY else by_submit.best_bid()
            if other is not None and (price >= other if side == BUY else price <= other):
                continue
            next_id += 1
            seq = by_submit.last_seq + 1
            for book in (by_submit, by_place):
                book.add(RestingOrder(next_id, account, side, price, qty, seq))
        assert book_state(by_place) == book_state(by_submit)
        for i in range(1, next_id + 1):
            assert by_place.get(i) == by_submit.get(i)


@settings(max_examples=300, deadline=None)
@given(OPS)
def test_place_leaves_the_book_as_submit_does(ops: list[tuple]) -> None:
    run_twins(ops)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_place_leaves_a_deep_book_as_submit_does(seed: int) -> None:
    run_twins(long_random_flow(seed, 400))


def test_place_sweeps_levels_cancels_own_orders_and_rests_the_remainder() -> None:
    book = OrderBook()
    book.place("a1", "bob", SELL, 100, 5)
    book.place("a2", "alice", SELL, 100, 5)
    book.place("a3", "carol", SELL, 101, 5)
    book.place("a4", "bob", SELL, 103, 5)
    # alice's own a2 is cancelled on the way; a1 and a3 trade; 103 is past the limit.
    assert book.place("b1", "alice", BUY, 102, 12) == 10
    assert "a2" not in book and book.cancel("a2") is False
    assert book.depth(5) == ([(102, 2)], [(103, 5)])
    assert (book.best_bid(), book.best_ask()) == (102, 103)


def test_place_with_an_ioc_a_fok_and_a_market_order_never_rests() -> None:
    book = OrderBook()
    book.place("a1", "bob", SELL, 100, 5)
    assert book.place("f", "alice", BUY, 100, 6, FOK) == 0  # cannot fill: nothing happens
    assert book.level_total(SELL, 100) == 5
    assert book.place("i", "alice", BUY, 100, 6, IOC) == 5
    assert book.place("m", "alice", BUY, None, 6, GTC) == 0
    assert len(book) == 0 and (book.best_bid(), book.best_ask()) == (None, None)


@pytest.mark.parametrize(
    ("side", "price", "qty", "tif"),
    [
        ("hold", 100, 5, GTC),
        ("hold", None, 5, IOC),
        (BUY, 100, 0, GTC),
        (BUY, None, True, IOC),
        (SELL, -1, 5, GTC),
        (SELL, 100.0, 5, GTC),
        (BUY, 100, 5, "gtd"),
        (BUY, 102, 5, "gtd"),  # would cross
    ],
)
def test_place_refuses_an_invalid_order_and_changes_nothing(
    side: str, price: int | None, qty: int, tif: str
) -> None:
    book = OrderBook()
    book.place("a1", "bob", SELL, 101, 5)
    book.place("b1", "bob", BUY, 99, 5)
    before = book_state(book)
    with pytest.raises(ValueError):
        book.place("x", "dave", side, price, qty, tif)
    assert "x" not in book and book_state(book) == before


def test_place_refuses_an_order_id_already_on_the_book_crossing_or_not() -> None:
    book = OrderBook()
    book.place("a1", "bob", SELL, 101, 5)
    for price in (90, 101, None):
        with pytest.raises(ValueError, match="already on the book"):
            book.place("a1", "dave", BUY, price, 1, IOC if price is None else GTC)
    assert book.depth(5) == ([], [(101, 5)]) and book.last_seq == 1
