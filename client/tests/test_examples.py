"""The bots in `examples/` run against a live daphne with nothing but the client library."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from client.tests.conftest import Daphne, api_key
from trading.models import Order
from trading.tests.factories import give_shares, make_stock, place

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_bot_is_under_a_hundred_lines():
    sizes = {path.name: len(path.read_text().splitlines()) for path in EXAMPLES.glob("*.py")}
    assert set(sizes) == {"market_maker.py", "momentum.py", "momentum_alpaca.py"}
    assert all(lines < 100 for lines in sizes.values()), sizes


def test_momentum_buys_on_a_rise_sells_on_a_fall_and_waits_for_enough_prices():
    signal = load("momentum").signal
    rising = [Decimal(p) for p in ("10", "10", "10", "10", "11", "12")]
    falling = [Decimal(p) for p in ("12", "12", "12", "12", "11", "10")]
    flat = [Decimal("10")] * 6

    assert signal(rising, 2, 6, Decimal("0.001")) == "buy"
    assert signal(falling, 2, 6, Decimal("0.001")) == "sell"
    assert signal(flat, 2, 6, Decimal("0.001")) is None
    assert signal(rising[:5], 2, 6, Decimal("0.001")) is None


def test_market_maker_quotes_stay_a_tick_clear_of_the_other_side():
    quote_prices = load("market_maker").quote_prices
    tick, spread = Decimal("0.01"), Decimal("0.20")
    empty = {"bids": [], "asks": []}
    tight = {"bids": [{"price": "100.05"}], "asks": [{"price": "99.95"}]}

    assert quote_prices(Decimal("100"), spread, tick, Decimal(0), empty) == (
        Decimal("99.90"),
        Decimal("100.10"),
    )
    assert quote_prices(Decimal("100"), spread, tick, Decimal("-0.05"), empty) == (
        Decimal("99.85"),
        Decimal("100.05"),
    )
    assert quote_prices(Decimal("100"), spread, tick, Decimal(0), tight) == (
        Decimal("99.90"),
        Decimal("100.10"),
    )
    crossed = {"bids": [{"price": "100.20"}], "asks": [{"price": "99.80"}]}
    assert quote_prices(Decimal("100"), spread, tick, Decimal(0), crossed) == (
        Decimal("99.79"),
        Decimal("100.21"),
    )


@pytest.mark.integration
def test_the_market_maker_quotes_both_sides_requotes_after_a_fill_and_cancels_on_exit(
    daphne: Daphne, alice, bob
):
    stock = make_stock("ZED", "100.00")
    give_shares(alice, stock, 100)
    key_id, secret = api_key(alice)
    env = {"APCA_API_KEY_ID": key_id, "APCA_API_SECRET_KEY": secret, "BROKERAGE_URL": daphne.http}
    bot = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "market_maker.py"), "ZED", "--seconds", "8"],
        env={"PATH": "/usr/bin:/bin", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def resting() -> set[tuple[str, Decimal]]:
        return set(
            Order.objects.filter(user=alice, status="new").values_list("side", "limit_price")
        )

    try:
        deadline = time.monotonic() + 20
        while resting() != {("buy", Decimal("99.90")), ("sell", Decimal("100.10"))}:
            assert time.monotonic() < deadline, resting()
            time.sleep(0.1)
        place(bob, stock, "buy", 10, "100.10")  # takes the whole ask: alice is 10 shares lighter
        # Short 10 against the start, it leans up by a quarter of the spread.
        while resting() != {("buy", Decimal("99.95")), ("sell", Decimal("100.15"))}:
            assert time.monotonic() < deadline, resting()
            time.sleep(0.1)
        out, err = bot.communicate(timeout=30)
    finally:
        bot.kill()
    assert bot.returncode == 0, err
    assert out.splitlines() == [
        "ZED: fair 100.0000  bid 99.9000  ask 100.1000  holding 100",
        "ZED: fair 100.0000  bid 99.9500  ask 100.1500  holding 90",
    ]
    assert Order.objects.filter(user=alice, status="new").count() == 0


@pytest.mark.integration
def test_the_alpaca_variant_of_the_momentum_bot_buys_on_a_rise_through_the_sdk(
    daphne: Daphne, alice, bob, charlie
):
    pytest.importorskip("alpaca")
    stock = make_stock("ZUP", "100.00")
    give_shares(bob, stock, 1000)
    key_id, secret = api_key(alice)
    env = {"APCA_API_KEY_ID": key_id, "APCA_API_SECRET_KEY": secret}
    bot = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "momentum_alpaca.py"), "ZUP", "--url", daphne.http,
         "--fast", "2", "--slow", "4", "--size", "3"],
        env={"PATH": "/usr/bin:/bin", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        time.sleep(6)  # the SDK connects, authenticates and subscribes
        place(bob, stock, "sell", 500, "101.00")  # liquidity for the bot's market buy
        for price in ("100.00", "100.00", "100.00", "100.50", "100.90"):  # a rise on the tape
            place(bob, stock, "sell", 1, price)
            place(charlie, stock, "buy", 1, price)
            time.sleep(0.3)
        deadline = time.monotonic() + 20
        while not Order.objects.filter(user=alice, side="buy", status="filled").exists():
            assert time.monotonic() < deadline, "the bot never bought"
            time.sleep(0.2)
    finally:
        bot.terminate()
        out, err = bot.communicate(timeout=20)
    order = Order.objects.get(user=alice, side="buy")
    assert (order.type, order.qty, order.filled_qty) == ("market", 3, 3)
    assert out.startswith("ZUP: buy 3: filled @ 101"), (out, err[-2000:])
