"""match(): the engine as the database order path uses it."""

from __future__ import annotations

import copy

import pytest

from trading.engine import (
    BUY,
    DAY,
    FOK,
    GTC,
    IOC,
    SELL,
    Fill,
    IncomingOrder,
    RestingOrder,
    SelfTradeCancel,
    match,
)


def ask(order_id: str, account: str | None, price: int, qty: int, seq: int) -> RestingOrder:
    """A resting sell order."""
    return RestingOrder(order_id, account, SELL, price, qty, seq)


def bid(order_id: str, account: str | None, price: int, qty: int, seq: int) -> RestingOrder:
    """A resting buy order."""
    return RestingOrder(order_id, account, BUY, price, qty, seq)


def buy(qty: int, price: int | None, tif: str = GTC, account: str | None = "alice"):
    """An incoming buy order from alice."""
    return IncomingOrder("in", account, BUY, price, qty, tif)


ASKS = [
    ask("a1", "bob", 100, 5, seq=1),
    ask("a2", "charlie", 100, 5, seq=2),
    ask("a3", "bob", 101, 10, seq=3),
]


def test_a_buy_takes_the_best_price_first_then_the_oldest_order() -> None:
    result = match(buy(12, 101), ASKS)
    assert [(f.maker_order_id, f.price, f.qty) for f in result.fills] == [
        ("a1", 100, 5),
        ("a2", 100, 5),
        ("a3", 101, 2),
    ]
    assert result.maker_remaining == {"a1": 0, "a2": 0, "a3": 8}
    assert (result.filled, result.remaining, result.rests) == (12, 0, False)


def test_fills_are_at_the_makers_price_and_name_both_sides() -> None:
    result = match(buy(3, 105), ASKS)
    assert result.fills == [
        Fill(
            maker_order_id="a1",
            taker_order_id="in",
            maker_account_id="bob",
            taker_account_id="alice",
            price=100,
            qty=3,
        )
    ]


def test_a_sell_takes_the_highest_bid_first() -> None:
    bids = [bid("b1", "bob", 99, 4, seq=7), bid("b2", "bob", 98, 4, seq=1)]
    result = match(IncomingOrder("in", "alice", SELL, 98, 6, GTC), bids)
    assert [(f.maker_order_id, f.price, f.qty) for f in result.fills] == [
        ("b1", 99, 4),
        ("b2", 98, 2),
    ]


@pytest.mark.parametrize("tif", [GTC, DAY])
def test_a_limit_remainder_rests_for_gtc_and_day(tif: str) -> None:
    result = match(buy(30, 101, tif), ASKS)
    assert (result.filled, result.remaining, result.rests) == (20, 10, True)


def test_an_ioc_remainder_is_cancelled_not_rested() -> None:
    result = match(buy(30, 101, IOC), ASKS)
    assert (result.filled, result.remaining, result.rests) == (20, 10, False)


@pytest.mark.parametrize("tif", [GTC, DAY, IOC])
def test_a_market_order_never_rests(tif: str) -> None:
    result = match(buy(30, None, tif), ASKS)
    assert (result.filled, result.remaining, result.rests) == (20, 10, False)


def test_a_market_order_with_nothing_to_trade_fills_nothing() -> None:
    result = match(buy(30, None), [])
    assert (result.fills, result.remaining, result.rests, result.rejected) == ([], 30, False, None)


def test_a_fok_that_cannot_fill_changes_nothing() -> None:
    result = match(buy(21, 101, FOK), ASKS)
    assert result.rejected == "fok_not_fillable"
    assert (result.fills, result.self_trade_cancels, result.maker_remaining) == ([], [], {})
    assert (result.filled, result.remaining, result.rests) == (0, 21, False)


def test_a_fok_that_can_fill_fills_completely() -> None:
    result = match(buy(20, 101, FOK), ASKS)
    assert result.rejected is None
    assert (result.filled, result.remaining, result.rests) == (20, 0, False)


def test_a_fok_does_not_count_the_takers_own_orders_as_liquidity() -> None:
    asks = [ask("mine", "alice", 100, 50, seq=1), ask("theirs", "bob", 100, 5, seq=2)]
    assert match(buy(10, 100, FOK), asks).rejected == "fok_not_fillable"


def test_an_unfillable_fok_does_not_cancel_the_takers_own_resting_orders() -> None:
    asks = [ask("mine", "alice", 100, 50, seq=1), ask("theirs", "bob", 100, 5, seq=2)]
    result = match(buy(10, 100, FOK), asks)
    assert result.self_trade_cancels == []
    assert result.maker_remaining == {}


def test_a_fillable_fok_cancels_own_orders_on_its_way_like_any_order() -> None:
    asks = [ask("mine", "alice", 100, 50, seq=1), ask("theirs", "bob", 100, 15, seq=2)]
    result = match(buy(10, 100, FOK), asks)
    assert result.self_trade_cancels == [SelfTradeCancel("mine", 50)]
    assert [(f.maker_order_id, f.qty) for f in result.fills] == [("theirs", 10)]


def test_self_trade_prevention_cancels_the_resting_order_and_matching_goes_on() -> None:
    asks = [ask("mine", "alice", 100, 7, seq=1), ask("theirs", "bob", 100, 5, seq=2)]
    result = match(buy(5, 100), asks)
    assert result.self_trade_cancels == [SelfTradeCancel(order_id="mine", qty=7)]
    assert [(f.maker_order_id, f.qty) for f in result.fills] == [("theirs", 5)]
    assert result.maker_remaining == {"mine": 0, "theirs": 0}
    assert all(f.maker_account_id != f.taker_account_id for f in result.fills)


def test_own_orders_behind_the_last_fill_are_left_alone() -> None:
    asks = [ask("theirs", "bob", 100, 5, seq=1), ask("mine", "alice", 100, 7, seq=2)]
    result = match(buy(5, 100), asks)
    assert result.self_trade_cancels == []
    assert result.maker_remaining == {"theirs": 0}


def test_anonymous_orders_trade_with_each_other() -> None:
    # Replays seed books with volume of unknown owners; None is "no account", not an account.
    result = match(buy(5, 100, account=None), [ask("x", None, 100, 5, seq=1)])
    assert result.self_trade_cancels == []
    assert result.filled == 5


def test_match_stops_reading_the_resting_orders_once_filled() -> None:
    read = []

    def resting():
        for o in ASKS:
            read.append(o.order_id)
            yield o

    match(buy(5, 101), resting())
    assert read == ["a1"]


def test_match_does_not_modify_the_resting_orders_it_is_given() -> None:
    asks = copy.deepcopy(ASKS)
    match(buy(12, 101), asks)
    assert asks == ASKS


def test_match_stops_at_the_first_order_that_does_not_cross() -> None:
    result = match(buy(30, 100), ASKS)
    assert result.maker_remaining == {"a1": 0, "a2": 0}
    assert result.remaining == 20


def test_match_refuses_resting_orders_not_sorted_best_price_first() -> None:
    with pytest.raises(ValueError, match="best price first"):
        match(buy(30, 101), [ASKS[2], ASKS[0]])


def test_match_refuses_resting_orders_out_of_time_priority_at_one_price() -> None:
    with pytest.raises(ValueError, match="seq order"):
        match(buy(30, 101), [ASKS[1], ASKS[0]])


def test_match_refuses_resting_orders_on_the_takers_own_side() -> None:
    with pytest.raises(ValueError, match="not on the sell side"):
        match(buy(3, 101), [bid("b", "bob", 100, 5, seq=1)])


@pytest.mark.parametrize(
    "incoming",
    [
        IncomingOrder("x", "alice", "hold", 100, 5, GTC),
        IncomingOrder("x", "alice", BUY, 100, 0, GTC),
        IncomingOrder("x", "alice", BUY, 100, -5, GTC),
        IncomingOrder("x", "alice", BUY, 100, 2.5, GTC),  # type: ignore[arg-type]
        IncomingOrder("x", "alice", BUY, 0, 5, GTC),
        IncomingOrder("x", "alice", BUY, 100.5, 5, GTC),  # type: ignore[arg-type]
        IncomingOrder("x", "alice", BUY, 100, 5, "gtd"),
    ],
)
def test_an_invalid_order_is_refused_before_anything_happens(incoming: IncomingOrder) -> None:
    with pytest.raises(ValueError):
        match(incoming, ASKS)


def test_match_refuses_a_resting_order_with_a_negative_remainder() -> None:
    with pytest.raises(ValueError, match="has qty -1"):
        match(buy(3, 101), [ask("a", "bob", 100, -1, seq=1)])


def test_a_resting_order_with_nothing_left_is_skipped() -> None:
    result = match(buy(3, 101), [ask("done", "bob", 100, 0, seq=1), ask("a", "bob", 100, 5, 2)])
    assert [(f.maker_order_id, f.qty) for f in result.fills] == [("a", 3)]
