"""`brokerage tui`, driven headless with Textual's pilot against a live daphne."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest

from client.api import Client
from client.tests.conftest import Daphne, api_key
from client.tui import BookLadder, Tape, TradingApp
from trading.models import Order
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.integration


async def until(pilot, predicate, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the screen never showed it")
        await pilot.pause(0.05)


def ladder_text(app: TradingApp) -> list[str]:
    return app.query_one(BookLadder).render().plain.splitlines()


def test_a_key_press_places_an_order_and_the_book_shows_the_new_level(daphne: Daphne, alice, bob):
    stock = make_stock("ZED", "100.00")
    give_shares(bob, stock, 100)
    place(bob, stock, "sell", 10, "100.50")
    place(bob, stock, "buy", 3, "99.00")
    client = Client(daphne.http, *api_key(alice))

    async def scenario() -> tuple[list[str], list[tuple], str]:
        app = TradingApp(client, "ZED")
        async with app.run_test(size=(120, 34)) as pilot:
            await until(pilot, lambda: len(app.query_one(BookLadder).rows()) == 2)
            await pilot.press("down")  # the best bid: the ticket takes 99.00
            await pilot.press("right", "right")  # two ticks up: 99.02, a price nobody quotes
            await pilot.press("7")
            assert "qty 7   price 99.02   tif gtc" in str(app.query_one("#ticket").render())
            await pilot.press("b")
            await until(pilot, lambda: len(app.query_one(BookLadder).rows()) == 3)
            await until(pilot, lambda: app.query_one("#orders").row_count == 1)
            return ladder_text(app), app.query_one(BookLadder).rows(), app.open_orders[0]["id"]

    lines, rows, order_id = asyncio.run(scenario())

    assert rows == [
        ("sell", Decimal("100.50"), Decimal("10")),
        ("buy", Decimal("99.02"), Decimal("7")),
        ("buy", Decimal("99.00"), Decimal("3")),
    ]
    assert lines[2].split()[:3] == ["•", "99.02", "7"]  # marked as the user's own level
    order = Order.objects.get(id=order_id)
    assert (order.user, order.side, order.qty, order.limit_price, order.time_in_force) == (
        alice,
        "buy",
        7,
        Decimal("99.02"),
        "gtc",
    )


def test_selling_into_the_bid_shows_on_the_tape_and_c_cancels_the_rest(daphne: Daphne, alice, bob):
    stock = make_stock("ZED", "100.00")
    give_shares(alice, stock, 100)
    place(bob, stock, "buy", 4, "99.50")
    client = Client(daphne.http, *api_key(alice))

    async def scenario() -> tuple[str, list[dict], str]:
        app = TradingApp(client, "ZED")
        async with app.run_test(size=(120, 34)) as pilot:
            await until(pilot, lambda: len(app.query_one(BookLadder).rows()) == 1)
            await pilot.press("down", "6", "s")  # sell 6 at 99.50: 4 trade, 2 rest
            await until(pilot, lambda: len(app.query_one(Tape).trades) == 1)
            await until(pilot, lambda: len(app.open_orders) == 1)
            tape = str(app.query_one(Tape).render())
            await pilot.press("c")
            await until(pilot, lambda: not app.open_orders)
            return tape, app.query_one(BookLadder).rows(), str(app.query_one("#status").render())

    tape, rows, status = asyncio.run(scenario())

    assert tape.split()[1:] == ["99.50", "4"]
    assert rows == []
    assert status.startswith("canceled sell 6 ZED @ 99.50 gtc")
    assert list(Order.objects.filter(user=alice).values_list("status", "filled_qty")) == [
        ("canceled", 4)
    ]
