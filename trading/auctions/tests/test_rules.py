"""The pure auction rules, by property: increments, the lowest next bid, the leader's standing
price and the soft close hold for every tick, price and time, not only the examples."""

from __future__ import annotations

import ast
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from trading.auctions import rules
from trading.auctions.rules import SoftClose, Terms

TICKS = [Decimal("0.0001"), Decimal("0.01"), Decimal("0.05"), Decimal("0.25"), Decimal("1")]


def on_tick(tick: Decimal, ticks: int) -> Decimal:
    return tick * ticks


@st.composite
def terms(draw, fixed: bool | None = None) -> Terms:
    tick = draw(st.sampled_from(TICKS))
    start = on_tick(tick, draw(st.integers(1, 200_000)))
    reserve = on_tick(tick, draw(st.integers(1, 200_000)))
    use_fixed = draw(st.booleans()) if fixed is None else fixed
    step = on_tick(Decimal("0.01"), draw(st.integers(1, 1000))) if use_fixed else None
    return Terms(tick=tick, start_price=start, reserve_price=reserve, fixed_increment=step)


def prices(tick: Decimal):
    return st.integers(1, 2_000_000).map(lambda n: on_tick(tick, n))


def is_on_tick(price: Decimal, tick: Decimal) -> bool:
    return price % tick == 0


# --------------------------------------------------------------------------- increments
@given(st.data(), terms())
def test_an_increment_is_at_least_one_tick_and_on_the_tick(data, t):
    price = data.draw(prices(t.tick))
    step = rules.increment_at(t, price)
    assert step >= t.tick
    assert is_on_tick(step, t.tick)


@given(st.data(), terms(fixed=False))
def test_the_ladder_never_steps_down_as_the_price_rises(data, t):
    low = data.draw(prices(t.tick))
    high = low + data.draw(prices(t.tick))
    assert rules.increment_at(t, low) <= rules.increment_at(t, high)


@given(st.data(), terms(fixed=True))
def test_a_fixed_increment_is_the_same_at_every_price_rounded_up_to_the_tick(data, t):
    assert t.fixed_increment is not None
    a, b = data.draw(prices(t.tick)), data.draw(prices(t.tick))
    step = rules.increment_at(t, a)
    assert step == rules.increment_at(t, b)
    assert step >= t.fixed_increment and step - t.fixed_increment < t.tick


def test_the_ladder_by_example():
    cents = Terms(tick=Decimal("0.01"), start_price=Decimal("1"), reserve_price=Decimal("1"))
    assert rules.increment_at(cents, Decimal("0.50")) == Decimal("0.01")
    assert rules.increment_at(cents, Decimal("9.99")) == Decimal("0.05")
    assert rules.increment_at(cents, Decimal("95.00")) == Decimal("0.25")
    assert rules.increment_at(cents, Decimal("100.00")) == Decimal("0.50")
    assert rules.increment_at(cents, Decimal("1000.00")) == rules.TOP_INCREMENT
    quarters = Terms(tick=Decimal("0.25"), start_price=Decimal("1"), reserve_price=Decimal("1"))
    assert rules.increment_at(quarters, Decimal("20.00")) == Decimal("0.25")  # 0.10, rounded up


# --------------------------------------------------------------------------- the next bid
@given(terms())
def test_before_any_bid_the_lowest_bid_is_the_opening_price(t):
    assert rules.min_next_bid(t, None) == t.start_price


@given(st.data(), terms())
def test_the_lowest_next_bid_is_one_increment_over_the_price_and_on_the_tick(data, t):
    current = data.draw(prices(t.tick))
    minimum = rules.min_next_bid(t, current)
    assert minimum > current
    assert minimum == current + rules.increment_at(t, current)
    assert is_on_tick(minimum, t.tick)


# --------------------------------------------------------------------------- standing
@given(st.data(), terms())
def test_the_leader_never_stands_above_its_maximum(data, t):
    leader_max = data.draw(prices(t.tick))
    runner_up = data.draw(st.none() | prices(t.tick))
    assert rules.standing(t, runner_up, leader_max) <= leader_max


@given(st.data(), terms())
def test_the_leader_stands_at_most_one_increment_over_the_runner_up(data, t):
    """Unless the opening price or the reserve (once its maximum reaches it) lifts it."""
    leader_max = data.draw(prices(t.tick))
    runner_up = data.draw(prices(t.tick))
    price = rules.standing(t, runner_up, leader_max)
    floor = max(t.start_price, t.reserve_price if leader_max >= t.reserve_price else t.start_price)
    assert price <= max(floor, runner_up + rules.increment_at(t, runner_up))


@given(st.data(), terms())
def test_a_higher_maximum_stands_above_the_runner_up(data, t):
    runner_up = data.draw(prices(t.tick))
    leader_max = runner_up + data.draw(prices(t.tick))
    price = rules.standing(t, runner_up, leader_max)
    assert runner_up < price <= leader_max
    assert is_on_tick(price, t.tick)


@given(st.data(), terms())
def test_a_maximum_that_reaches_the_reserve_meets_it(data, t):
    leader_max = t.reserve_price + data.draw(st.integers(0, 1000).map(lambda n: n * t.tick))
    runner_up = data.draw(st.none() | prices(t.tick).filter(lambda p: p < leader_max))
    assert rules.standing(t, runner_up, leader_max) >= t.reserve_price


@given(st.data(), terms())
def test_ties_go_to_the_earlier_maximum(data, t):
    leader_max = data.draw(prices(t.tick))
    assert not rules.takes_lead(leader_max, leader_max)
    assert rules.takes_lead(leader_max + t.tick, leader_max)
    assert not rules.takes_lead(leader_max - t.tick, leader_max)
    assert rules.takes_lead(leader_max, None)


# --------------------------------------------------------------------------- soft close
START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
seconds = st.integers(0, 3600).map(lambda s: timedelta(seconds=s))


@given(seconds, seconds, seconds, st.lists(seconds, max_size=40))
def test_soft_close_never_extends_past_the_maximum_extension(length, window, cap, gaps):
    """Bids at any moments, each taken while the auction is still open: the end only moves
    later, only for a bid inside the window, and never past the original end + the cap."""
    rule = SoftClose(window=window, max_extension=cap)
    original = ends_at = START + length + timedelta(seconds=1)
    now = START
    for gap in gaps:
        now += gap
        if now >= ends_at:
            break
        new_end = rules.soft_close_end(rule, now=now, ends_at=ends_at, original_ends_at=original)
        if new_end is None:
            continue
        assert ends_at - now <= window  # only a bid in the last seconds moves it
        assert ends_at < new_end <= now + window
        assert new_end <= original + cap
        ends_at = new_end
    assert ends_at <= original + cap


@given(seconds, seconds)
def test_no_window_never_moves_the_end(length, cap):
    rule = SoftClose(window=timedelta(0), max_extension=cap)
    ends_at = START + length + timedelta(seconds=1)
    assert rules.soft_close_end(rule, now=START, ends_at=ends_at, original_ends_at=ends_at) is None


def test_soft_close_by_example():
    rule = SoftClose(window=timedelta(seconds=30), max_extension=timedelta(seconds=300))
    end = START + timedelta(seconds=300)
    early = START + timedelta(seconds=200)
    late = START + timedelta(seconds=290)
    assert rules.soft_close_end(rule, now=early, ends_at=end, original_ends_at=end) is None
    assert rules.soft_close_end(rule, now=late, ends_at=end, original_ends_at=end) == late + (
        timedelta(seconds=30)
    )
    capped_end = end + timedelta(seconds=290)
    capped_now = end + timedelta(seconds=285)
    assert rules.soft_close_end(
        rule, now=capped_now, ends_at=capped_end, original_ends_at=end
    ) == end + timedelta(seconds=300)


# --------------------------------------------------------------------------- purity
def test_the_rules_import_the_standard_library_only():
    """Besides the import contract: not even a third-party package may slip in."""
    tree = ast.parse(Path(rules.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative import"
            imported.add((node.module or "").split(".")[0])
    assert imported, "the rules import something (Decimal at least)"
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
