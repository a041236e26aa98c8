"""Property tests: random order flow through the engine, held against a naive model."""

from __future__ import annotations

import copy
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from trading.engine import (
    BUY,
    DAY,
    FOK,
    GTC,
    IOC,
    SELL,
    IncomingOrder,
    MatchResult,
    OrderBook,
    RestingOrder,
    match,
)
from trading.tests.engine.naive import NaiveBook, NaiveOrder, NaiveOutcome, priority

ACCOUNTS = st.sampled_from([None, "alice", "bob", "charlie"])
SIDES = st.sampled_from([BUY, SELL])
TIFS = st.sampled_from([GTC, GTC, DAY, IOC, FOK])
# A narrow band of prices so that orders meet, queue at one level and sweep several levels;
# None (a market order) one time in eight.
PRICES = st.sampled_from([100, 99, 101, 98, 102, 97, 103, None])
QTYS = st.integers(1, 20)

SUBMIT = st.tuples(st.just("submit"), ACCOUNTS, SIDES, PRICES, QTYS, TIFS)
CANCEL = st.tuples(st.just("cancel"), st.integers(1, 60))
REDUCE = st.tuples(st.just("reduce"), st.integers(1, 60), QTYS)
ADD = st.tuples(st.just("add"), ACCOUNTS, SIDES, st.integers(95, 105), QTYS)
OPS = st.lists(
    st.one_of(SUBMIT, SUBMIT, SUBMIT, SUBMIT, CANCEL, REDUCE, ADD), min_size=30, max_size=100
)


def outcome_of(result: MatchResult) -> NaiveOutcome:
    """The engine's result in the naive model's terms."""
    return NaiveOutcome(
        fills=[(f.maker_order_id, f.maker_account_id, f.price, f.qty) for f in result.fills],
        cancels=[(c.order_id, c.qty) for c in result.self_trade_cancels],
        remaining=result.remaining,
        rests=result.rests,
        rejected=result.rejected is not None,
    )


def assert_book_equals_naive(book: OrderBook, naive: NaiveBook) -> None:
    """Same levels, same best prices, same volumes, same orders with the same remainders."""
    bids, asks = book.depth(1000)
    assert bids == naive.levels(BUY)
    assert asks == naive.levels(SELL)
    assert book.best_bid() == naive.best(BUY)
    assert book.best_ask() == naive.best(SELL)
    assert book.bid_volume() == sum(q for _, q in naive.levels(BUY))
    assert book.ask_volume() == sum(q for _, q in naive.levels(SELL))
    assert len(book) == len(naive.orders)
    for side in (BUY, SELL):
        # Whole queues in priority order: the same walk feeds FOK look-ahead and match().
        in_priority = sorted(
            (o for o in naive.orders if o.side == side), key=lambda o: priority(side, o)
        )
        assert [(o.order_id, o.account_id, o.price, o.qty) for o in book.resting(side)] == [
            (o.order_id, o.account_id, o.price, o.qty) for o in in_priority
        ]
    for o in naive.orders:
        got = book.get(o.order_id)
        assert got is not None
        assert (got.account_id, got.side, got.price, got.qty) == (
            o.account_id,
            o.side,
            o.price,
            o.qty,
        )


class Ledger:
    """Where every submitted lot went, to check that none appears or vanishes."""

    def __init__(self) -> None:
        self.submitted = self.traded = self.cancelled = 0


def run_ops(ops: list[tuple], check_each_step: bool = True) -> tuple[OrderBook, Ledger]:
    """Play `ops` on an OrderBook and a NaiveBook side by side, comparing after each one."""
    book, naive, ledger = OrderBook(), NaiveBook(), Ledger()
    next_id = 0
    for op in ops:
        kind = op[0]
        if kind == "submit":
            _, account, side, price, qty, tif = op
            next_id += 1
            before = {(s, p): q for s in (BUY, SELL) for p, q in naive.levels(s)}
            result = book.submit(IncomingOrder(next_id, account, side, price, qty, tif))
            expected = naive.submit(next_id, account, side, price, qty, tif)
            assert outcome_of(result) == expected
            ledger.submitted += qty
            ledger.traded += result.filled
            ledger.cancelled += sum(c.qty for c in result.self_trade_cancels)
            if not result.rests:
                ledger.cancelled += result.remaining  # IOC / market remainder, rejected FOK
            check_result_invariants(result, account, side, price, qty, tif)
            # Level changes: exactly the levels whose totals moved, with their new totals.
            after = {(s, p): q for s in (BUY, SELL) for p, q in naive.levels(s)}
            moved = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
            assert {(s, p) for s, p, _ in result.level_changes} == moved
            for s, p, total in result.level_changes:
                assert total == after.get((s, p), 0)
            assert result.maker_remaining == {
                **{f[0]: _remaining(naive, f[0]) for f in expected.fills},
                **{c[0]: 0 for c in expected.cancels},
            }
        elif kind == "cancel":
            order_id = op[1]
            had = naive.cancel(order_id)
            assert book.cancel(order_id) is (had > 0)
            ledger.cancelled += had
        elif kind == "reduce":
            _, order_id, qty = op
            taken = naive.reduce(order_id, qty)
            assert book.reduce(order_id, qty) == taken
            ledger.cancelled += taken
        else:  # add: rest without matching, only where it would not cross (a replay's book)
            _, account, side, price, qty = op
            other = naive.best(SELL if side == BUY else BUY)
            if other is not None and (price >= other if side == BUY else price <= other):
                continue
            next_id += 1
            naive.seq += 1
            book.add(RestingOrder(next_id, account, side, price, qty, naive.seq))
            naive.orders.append(NaiveOrder(next_id, account, side, price, qty, naive.seq))
            ledger.submitted += qty
        if check_each_step:
            assert_book_equals_naive(book, naive)
        bid, ask = book.best_bid(), book.best_ask()
        assert bid is None or ask is None or bid < ask, "the book is crossed at rest"
    assert_book_equals_naive(book, naive)
    return book, ledger


def _remaining(naive: NaiveBook, order_id: object) -> int:
    """What the naive book still holds of an order (0 if gone)."""
    return next((o.qty for o in naive.orders if o.order_id == order_id), 0)


def check_result_invariants(
    result: MatchResult, account: object, side: str, price: int | None, qty: int, tif: str
) -> None:
    """Rules every single result must obey whatever the book looked like."""
    assert result.filled + result.remaining == qty
    assert result.filled == sum(f.qty for f in result.fills)
    if price is None or tif in (IOC, FOK):
        assert not result.rests
    if tif == FOK:
        if result.rejected:
            assert (result.fills, result.self_trade_cancels, result.remaining) == ([], [], qty)
        else:
            assert result.filled == qty
    for f in result.fills:
        assert account is None or f.maker_account_id != account, "self-trade"
        assert f.taker_account_id == account
        if price is not None:
            assert f.price <= price if side == BUY else f.price >= price


@settings(max_examples=300, deadline=None)
@given(OPS)
def test_random_order_flow_matches_the_naive_model_step_by_step(ops: list[tuple]) -> None:
    run_ops(ops)


def long_random_flow(seed: int, n: int) -> list[tuple]:
    """`n` ops drawn from a seeded PRNG: deeper books and longer queues than shrinkable lists."""
    rng = random.Random(seed)
    accounts = [None, "alice", "bob", "charlie", "dave"]
    ops: list[tuple] = []
    for _ in range(n):
        r = rng.random()
        if r < 0.65:
            side = rng.choice([BUY, SELL])
            # Buyers bid a little low and sellers ask a little high, so a book builds up.
            price = (
                None
                if rng.random() < 0.05
                else 100 + rng.randint(-6, 3) * (1 if side == BUY else -1)
            )
            tif = rng.choice([GTC, GTC, GTC, DAY, IOC, FOK])
            ops.append(("submit", rng.choice(accounts), side, price, rng.randint(1, 30), tif))
        elif r < 0.85:
            ops.append(("cancel", rng.randint(1, len(ops) + 1)))
        elif r < 0.95:
            ops.append(("reduce", rng.randint(1, len(ops) + 1), rng.randint(1, 10)))
        else:
            ops.append(
                ("add", rng.choice(accounts), rng.choice([BUY, SELL]), rng.randint(90, 110), 5)
            )
    return ops


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_long_random_order_flow_matches_the_naive_model(seed: int) -> None:
    run_ops(long_random_flow(seed, 400))


@settings(max_examples=150, deadline=None)
@given(OPS)
def test_every_submitted_lot_is_traded_resting_or_cancelled(ops: list[tuple]) -> None:
    book, ledger = run_ops(ops, check_each_step=False)
    resting = book.bid_volume() + book.ask_volume()
    # Each traded lot leaves two orders (taker and maker), hence twice.
    assert ledger.submitted == 2 * ledger.traded + resting + ledger.cancelled


RESTING = st.lists(st.tuples(ACCOUNTS, st.integers(95, 105), QTYS), min_size=0, max_size=25)


@settings(max_examples=400, deadline=None)
@given(ACCOUNTS, SIDES, PRICES, QTYS, TIFS, RESTING)
def test_match_agrees_with_the_naive_model_and_reads_lazily(
    account: object, side: str, price: int | None, qty: int, tif: str, resting: list[tuple]
) -> None:
    maker_side = SELL if side == BUY else BUY
    orders = [
        RestingOrder(i, acct, maker_side, p, q, seq=i + 1) for i, (acct, p, q) in enumerate(resting)
    ]
    # What the database query would return: the crossing ones, best price first, then seq.
    crossing = [
        o
        for o in orders
        if price is None or (o.price <= price if side == BUY else o.price >= price)
    ]
    crossing.sort(key=lambda o: (-o.price if maker_side == BUY else o.price, o.seq))
    originals = copy.deepcopy(crossing)

    consumed = 0

    def counting():
        nonlocal consumed
        for o in crossing:
            consumed += 1
            yield o

    result = match(IncomingOrder("taker", account, side, price, qty, tif), counting())
    naive_candidates = [
        NaiveOrder(o.order_id, o.account_id, o.side, o.price, o.qty, o.seq) for o in crossing
    ]
    expected = NaiveBook().run("taker", account, side, price, qty, tif, naive_candidates)
    assert outcome_of(result) == expected
    assert crossing == originals, "match() must not modify the resting orders it is given"
    check_result_invariants(result, account, side, price, qty, tif)
    for o in naive_candidates:
        if o.order_id in result.maker_remaining:
            assert result.maker_remaining[o.order_id] == o.qty
    if tif != FOK and result.remaining == 0:
        # Lazy: not one order read past the one that completed the fill.
        position = {o.order_id: i for i, o in enumerate(crossing)}
        assert consumed == position[result.fills[-1].maker_order_id] + 1


@settings(max_examples=150, deadline=None)
@given(OPS, ACCOUNTS, SIDES, PRICES, QTYS, TIFS)
def test_match_on_the_books_orders_gives_what_the_book_does(
    ops: list[tuple], account: object, side: str, price: int | None, qty: int, tif: str
) -> None:
    book, _ = run_ops(ops, check_each_step=False)
    maker_side = SELL if side == BUY else BUY
    crossing = [
        o
        for o in book.resting(maker_side)
        if price is None or (o.price <= price if side == BUY else o.price >= price)
    ]
    via_match = match(IncomingOrder("probe", account, side, price, qty, tif), crossing)
    via_book = book.submit(IncomingOrder("probe", account, side, price, qty, tif))
    for field in ("fills", "self_trade_cancels", "maker_remaining", "remaining", "filled"):
        assert getattr(via_match, field) == getattr(via_book, field), field
    assert (via_match.rests, via_match.rejected) == (via_book.rests, via_book.rejected)
