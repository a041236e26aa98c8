"""`brokerage watch` against a live daphne: quotes, trades and fills as they happen, and a
server restart in the middle."""

from __future__ import annotations

import json

import pytest

from client.tests.conftest import Cli, Daphne
from client.tests.contract import valid
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.integration

CLOCK = r"^\d\d:\d\d:\d\d\.\d{3} "


def test_watch_prints_trades_and_fills_and_comes_back_after_a_server_restart(
    cli: Cli, daphne: Daphne, alice, bob
):
    stock = make_stock("ZED", "100.00")
    give_shares(bob, stock, 1000)
    place(bob, stock, "sell", 50, "100.50")
    cli.login(alice)
    watch = cli.watch("ZED")
    try:
        watch.wait_for(CLOCK + r"connected to ws://127\.0\.0\.1:\d+/ws/ as alice$")
        watch.wait_for(CLOCK + r"ZED    quote  100\.00")
        watch.wait_for(CLOCK + r"ZED    book   bid -  ask 100\.50 x 50$")

        assert cli("buy", "ZED", "10", "--limit", "100.50").returncode == 0
        watch.wait_for(CLOCK + r"ZED    trade  10 @ 100\.50  buy$")
        watch.wait_for(CLOCK + r"ZED    fill   bought 10 @ 100\.50 taker, fee 0\.00$")
        watch.wait_for(CLOCK + r"ZED    book   bid -  ask 100\.50 x 40$")

        daphne.stop()
        watch.wait_for(
            CLOCK + r"(connection lost|the server closed the connection); reconnecting in \d+\.\ds$"
        )
        # Traded while nobody could be told: only the snapshot after the reconnect brings it.
        place(alice, stock, "buy", 4, "100.50")
        daphne.start()
        watch.wait_for(CLOCK + r"reconnected to ws://.* as alice$", timeout=60)
        watch.wait_for(CLOCK + r"ZED    trade  4 @ 100\.50  buy$")
        watch.wait_for(CLOCK + r"ZED    book   bid -  ask 100\.50 x 36$")

        assert cli("buy", "ZED", "6", "--limit", "100.50").returncode == 0
        watch.wait_for(CLOCK + r"ZED    trade  6 @ 100\.50  buy$")
    finally:
        code, stderr = watch.interrupt()
    assert (code, stderr) == (130, "")
    trades = [line for line in watch.lines if " trade " in line]
    assert [line.split("trade")[1].split("@")[0].strip() for line in trades] == ["10", "4", "6"]


def test_watch_json_prints_one_message_a_line(cli: Cli, alice, bob):
    stock = make_stock("ZED", "100.00")
    give_shares(bob, stock, 100)
    place(bob, stock, "sell", 5, "101.00")
    cli.login(alice)
    watch = cli.watch("ZED", "--json")
    try:
        snapshot = json.loads(watch.wait_for(r'"type": "book.snapshot"'))
        watch.wait_for(r'"type": "trades.snapshot"')
        cli("buy", "ZED", "2", "--limit", "101.00")
        trades = json.loads(watch.wait_for(r'"type": "trades"'))
        orders = json.loads(watch.wait_for(r'"type": "orders"'))
    finally:
        watch.interrupt()
    for message in (snapshot, trades, orders):
        valid(message)  # the server's messages, as the client read them, are the contract's
    assert snapshot["asks"] == [{"price": "101.0000", "qty": "5", "orders": 1}]
    assert [(t["price"], t["qty"]) for t in trades["trades"]] == [("101.0000", "2")]
    assert orders["events"][0]["order"]["status"] == "filled"


def test_watch_of_an_unknown_symbol_stops_with_one_line(cli: Cli, alice):
    cli.login(alice)
    watch = cli.watch("NOPE")

    code = watch.process.wait(timeout=30)

    assert code == 1
    assert watch.process.stderr.read().strip() == (
        "brokerage: There is no stock 'NOPE'. (unknown_symbol)"
    )


def test_watch_with_a_wrong_key_stops_with_one_line(cli: Cli, alice):
    make_stock("ZED", "100.00")
    cli.login(alice)
    cli.env["APCA_API_SECRET_KEY"] = "wrong"
    watch = cli.watch("ZED")

    code = watch.process.wait(timeout=30)

    assert code == 4
    stderr = watch.process.stderr.read()
    assert "Unknown, revoked or mismatched API key" in stderr
    assert len(stderr.strip().splitlines()) == 1
