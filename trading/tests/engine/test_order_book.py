"""OrderBook: the in-memory book on the same matching loop."""

from __future__ import annotations

import random

import pytest

from trading.engine import (
    BUY,
    DAY,
    FOK,
    GTC,
    IOC,
    SELL,
    IncomingOrder,
    OrderBook,
    RestingOrder,
    SelfTradeCancel,
)


def book_with_asks() -> OrderBook:
    """Bob and charlie offer 5 at 100 (bob first), bob 10 at 101; alice bids 3 at 98."""
    book = OrderBook()
    book.submit(IncomingOrder("a1", "bob", SELL, 100, 5, GTC))
    book.submit(IncomingOrder("a2", "charlie", SELL, 100, 5, GTC))
    book.submit(IncomingOrder("a3", "bob", SELL, 101, 10, GTC))
    book.submit(IncomingOrder("b1", "alice", BUY, 98, 3, GTC))
    return book


def test_an_order_that_does_not_cross_rests_and_reports_its_level() -> None:
    book = book_with_asks()
    result = book.submit(IncomingOrder("b2", "dave", BUY, 98, 4, DAY))
    assert (result.fills, result.rests, result.remaining) == ([], True, 4)
    assert result.level_changes == [(BUY, 98, 7)]
    assert book.get("b2") == RestingOrder("b2", "dave", BUY, 98, 4, seq=5)


def test_a_sweep_reports_the_new_total_of_every_level_it_touched() -> None:
    book = book_with_asks()
    result = book.submit(IncomingOrder("b2", "dave", BUY, 101, 13, GTC))
    assert [(f.maker_order_id, f.price, f.qty) for f in result.fills] == [
        ("a1", 100, 5),
        ("a2", 100, 5),
        ("a3", 101, 3),
    ]
    assert result.level_changes == [(SELL, 100, 0), (SELL, 101, 7)]
    assert book.best_ask() == 101
    assert book.depth(5) == ([(98, 3)], [(101, 7)])


def test_a_sweep_that_empties_the_book_leaves_the_remainder_resting() -> None:
    book = book_with_asks()
    result = book.submit(IncomingOrder("b2", "dave", BUY, 102, 25, GTC))
    assert (result.filled, result.remaining, result.rests) == (20, 5, True)
    assert result.level_changes == [(SELL, 100, 0), (SELL, 101, 0), (BUY, 102, 5)]
    assert (book.best_bid(), book.best_ask()) == (102, None)


def test_a_fok_that_cannot_fill_changes_nothing() -> None:
    book = book_with_asks()
    book.submit(IncomingOrder("own", "alice", SELL, 100, 50, GTC))
    before = (book.depth(10), [book.get(i) for i in ("a1", "a2", "a3", "own")])
    result = book.submit(IncomingOrder("f", "alice", BUY, 101, 21, FOK))
    assert result.rejected == "fok_not_fillable"
    assert (result.fills, result.self_trade_cancels, result.level_changes) == ([], [], [])
    assert (book.depth(10), [book.get(i) for i in ("a1", "a2", "a3", "own")]) == before


def test_a_fok_that_can_fill_trades_all_of_it() -> None:
    book = book_with_asks()
    result = book.submit(IncomingOrder("f", "dave", BUY, 101, 20, FOK))
    assert (result.filled, result.rests, result.rejected) == (20, False, None)
    assert book.best_ask() is None


def test_an_ioc_and_a_market_order_never_rest() -> None:
    book = book_with_asks()
    ioc = book.submit(IncomingOrder("i", "dave", BUY, 100, 12, IOC))
    market = book.submit(IncomingOrder("m", "dave", BUY, None, 50, GTC))
    assert (ioc.filled, ioc.remaining, ioc.rests) == (10, 2, False)
    assert (market.filled, market.remaining, market.rests) == (10, 40, False)
    assert "i" not in book and "m" not in book
    assert book.best_bid() == 98


def test_self_trade_prevention_removes_the_own_resting_order_from_the_book() -> None:
    book = book_with_asks()
    result = book.submit(IncomingOrder("b2", "bob", BUY, 100, 5, GTC))
    assert result.self_trade_cancels == [SelfTradeCancel("a1", 5)]
    assert [(f.maker_order_id, f.qty) for f in result.fills] == [("a2", 5)]
    assert result.level_changes == [(SELL, 100, 0)]
    assert "a1" not in book and book.cancel("a1") is False


def test_cancel_removes_an_order_and_an_emptied_best_level() -> None:
    book = book_with_asks()
    assert book.cancel("a1") is True
    assert book.depth(3)[1] == [(100, 5), (101, 10)]
    assert book.cancel("a2") is True
    assert book.best_ask() == 101


def test_cancelling_an_unknown_or_filled_order_is_a_no_op() -> None:
    book = book_with_asks()
    book.submit(IncomingOrder("t", "dave", BUY, 100, 5, GTC))  # fills a1
    assert book.cancel("a1") is False
    assert book.cancel("never-seen") is False
    assert book.ask_volume() == 15


def test_reduce_takes_lots_off_an_order_without_losing_its_place() -> None:
    book = book_with_asks()
    assert book.reduce("a1", 3) == 3
    result = book.submit(IncomingOrder("t", "dave", BUY, 100, 3, GTC))
    assert [(f.maker_order_id, f.qty) for f in result.fills] == [("a1", 2), ("a2", 1)]
    assert book.reduce("a2", 99) == 4
    assert book.reduce("a2", 1) == 0
    assert book.best_ask() == 101


def test_depth_lists_the_best_levels_first_and_skips_emptied_ones() -> None:
    book = OrderBook()
    for i, price in enumerate([105, 103, 104, 101, 102]):
        book.place(f"s{i}", None, SELL, price, 10 + i)
        book.place(f"b{i}", None, BUY, price - 10, 1 + i)
    book.cancel("s2")
    assert book.depth(3) == ([(95, 1), (94, 3), (93, 2)], [(101, 13), (102, 14), (103, 11)])
    assert (book.bid_volume(), book.ask_volume()) == (15, 48)


def test_resting_orders_come_out_in_price_time_priority() -> None:
    rng = random.Random(7)
    book = OrderBook()
    for i in range(300):
        book.place(i, None, SELL, rng.randint(100, 140), rng.randint(1, 9))
    for i in range(0, 300, 3):
        book.cancel(i)
    out = [(o.price, o.seq) for o in book.resting(SELL)]
    assert out == sorted(out)
    assert len(out) == len(book)


def test_add_rests_without_matching_and_queues_by_seq() -> None:
    book = OrderBook()
    book.add(RestingOrder("late", None, SELL, 100, 5, seq=20))
    book.add(RestingOrder("early", None, SELL, 100, 5, seq=10))
    book.add(RestingOrder("bid", None, BUY, 100, 5, seq=30))  # crosses: add does not match
    assert [o.order_id for o in book.orders_at(SELL, 100)] == ["early", "late"]
    assert (book.best_bid(), book.best_ask()) == (100, 100)


def test_place_returns_the_quantity_filled() -> None:
    book = book_with_asks()
    assert book.place("t", "dave", BUY, 101, 12) == 12
    assert book.place("u", "dave", BUY, 99, 12, IOC) == 0
    assert book.place("f", "dave", BUY, 101, 99, FOK) == 0


def test_an_order_id_already_on_the_book_is_refused() -> None:
    book = book_with_asks()
    with pytest.raises(ValueError, match="already on the book"):
        book.submit(IncomingOrder("a1", "dave", BUY, 90, 1, GTC))
    with pytest.raises(ValueError, match="already on the book"):
        book.add(RestingOrder("a1", "dave", BUY, 90, 1, seq=99))


@pytest.mark.parametrize(
    ("side", "price", "qty", "tif"),
    [("hold", 100, 5, GTC), (BUY, 100, 0, GTC), (BUY, -1, 5, GTC), (BUY, 100, 5, "gtd")],
)
def test_an_invalid_order_changes_nothing(side: str, price: int, qty: int, tif: str) -> None:
    book = book_with_asks()
    with pytest.raises(ValueError):
        book.submit(IncomingOrder("x", "dave", side, price, qty, tif))
    assert "x" not in book and book.depth(5) == ([(98, 3)], [(100, 10), (101, 10)])
