"""The real `brokerage` command against a live daphne: log in, trade, read, refuse cleanly."""

from __future__ import annotations

import json
import stat
from decimal import Decimal

import pytest

from client.tests.conftest import Cli, api_key
from trading.models import Order
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.integration


def test_login_checks_the_key_and_saves_it_where_only_the_user_can_read_it(cli: Cli, alice):
    key_id, secret = api_key(alice)

    done = cli("--url", cli.url, "login", stdin=f"{key_id}\n{secret}\n")

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"logged in to {cli.url}: account ")
    assert stat.S_IMODE(cli.config.stat().st_mode) == 0o600
    assert key_id in cli.config.read_text() and secret in cli.config.read_text()
    account = json.loads(cli("account", "--json").stdout)
    assert Decimal(account["cash"]) == Decimal("100000")
    assert account["account_number"] == alice.account.account_number


def test_a_bad_key_is_not_saved(cli: Cli, alice):
    done = cli("--url", cli.url, "login", "--key-id", "BKNOTAKEY", "--secret-key", "nope")

    assert done.returncode == 4
    assert done.stderr.strip().endswith("check the key with `brokerage login`")
    assert not cli.config.exists()


def test_the_environment_overrides_the_config_file(cli: Cli, alice, bob):
    cli.login(alice)
    key_id, secret = api_key(bob)

    done = cli("--json", "account", env={"APCA_API_KEY_ID": key_id, "APCA_API_SECRET_KEY": secret})

    assert json.loads(done.stdout)["account_number"] == bob.account.account_number


def test_a_buy_from_the_command_line_fills_against_a_resting_sell(cli: Cli, alice, bob):
    stock = make_stock("ZED", "100.00")
    give_shares(bob, stock, 100)
    place(bob, stock, "sell", 10, "100.50")
    cli.login(alice)

    done = cli("buy", "ZED", "10", "--limit", "100.50", "--tif", "gtc", "--json")

    assert done.returncode == 0, done.stderr
    order = json.loads(done.stdout)
    assert order["status"] == "filled"
    assert order["filled_qty"] == "10"
    assert Decimal(order["filled_avg_price"]) == Decimal("100.50")
    assert Order.objects.get(id=order["id"]).user == alice
    positions = json.loads(cli("positions", "--json").stdout)
    assert [(p["symbol"], p["qty"]) for p in positions] == [("ZED", "10")]
    trades = cli("trades", "ZED")
    assert trades.returncode == 0
    assert "100.50" in trades.stdout.splitlines()[1]
    closed = json.loads(cli("orders", "--status", "closed", "--json").stdout)
    assert [o["id"] for o in closed] == [order["id"]]


def test_the_text_output_shows_the_book_the_quote_and_the_order(cli: Cli, alice, bob):
    stock = make_stock("ZED", "100.00")
    give_shares(bob, stock, 100)
    place(bob, stock, "sell", 7, "100.50")
    cli.login(alice)

    placed = cli("buy", "ZED", "3", "--limit", "99.25", "--tif", "gtc")
    book = cli("book", "ZED")
    quote = cli("quote", "ZED")

    assert placed.stdout.startswith("buy 3 ZED @ 99.25 gtc: new  id ")
    ladder = book.stdout.splitlines()
    assert ladder[0] == "ZED book, seq 2"
    assert ladder[2].split() == ["100.50", "7", "1"]  # the ask, above
    assert ladder[3].split() == ["1", "3", "99.25"]  # the bid, below
    row = quote.stdout.splitlines()[1].split()
    assert row[:2] == ["ZED", "100.00"]
    assert row[4:8] == ["99.25", "3", "100.50", "7"]


def test_replace_and_cancel_change_the_open_orders(cli: Cli, alice):
    make_stock("ZED", "100.00")
    cli.login(alice)
    first = json.loads(cli("buy", "ZED", "5", "--limit", "99.00", "--tif", "gtc", "--json").stdout)
    second = json.loads(cli("buy", "ZED", "2", "--limit", "98.00", "--json").stdout)

    replaced = json.loads(
        cli("replace", first["id"], "--qty", "8", "--limit", "99.10", "--json").stdout
    )
    canceled = cli("cancel", second["id"])
    open_orders = json.loads(cli("orders", "--json").stdout)

    assert replaced["replaces"] == first["id"]
    assert (replaced["qty"], replaced["limit_price"]) == ("8", "99.1000")
    assert canceled.stdout.strip() == f"canceled {second['id']}"
    assert [o["id"] for o in open_orders] == [replaced["id"]]
    assert cli("cancel", "--all").stdout.strip() == "canceled 1 order"
    assert json.loads(cli("orders", "--json").stdout) == []


def _one_line_failure(done, code: int) -> str:
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr.strip()


def test_expected_failures_are_one_line_and_a_non_zero_exit(cli: Cli, alice):
    make_stock("ZED", "100.00")
    cli.login(alice)
    down = f"http://127.0.0.1:{_closed_port()}"

    assert _one_line_failure(cli("quote", "NOPE"), 1) == (
        "brokerage: There is no stock 'NOPE'. (unknown_symbol)"
    )
    assert _one_line_failure(cli("buy", "NOPE", "1"), 1) == (
        "brokerage: There is no stock 'NOPE'. (unknown_symbol)"
    )
    assert "'ten' is not a number" in _one_line_failure(cli("buy", "ZED", "ten"), 2)
    assert "'1,5' is not a number" in _one_line_failure(
        cli("sell", "ZED", "1", "--limit", "1,5"), 2
    )
    assert "Not enough buying power" in _one_line_failure(
        cli("buy", "ZED", "5000", "--limit", "100.00"), 1
    )
    assert "(price_outside_band)" in _one_line_failure(cli("buy", "ZED", "1", "--limit", "150"), 1)
    assert "(not_found)" in _one_line_failure(cli("cancel", "no-such-order"), 1)
    assert _one_line_failure(cli("--url", down, "account"), 3) == (
        f"brokerage: cannot connect to {down} (is the server running?)"
    )
    assert "Unknown, revoked or mismatched API key" in _one_line_failure(
        cli("account", env={"APCA_API_SECRET_KEY": "wrong"}), 4
    )
    assert Order.objects.count() == 0


def test_a_refusal_in_json_mode_is_the_servers_error_on_stderr(cli: Cli, alice):
    make_stock("ZED", "100.00")
    cli.login(alice)

    done = cli("--json", "buy", "ZED", "1", "--limit", "150")

    assert done.returncode == 1
    error = json.loads(done.stderr)["error"]
    assert error["code"] == "price_outside_band"
    assert error["status"] == 422
    assert "limit_price" in error["fields"]


def test_without_a_key_the_command_says_how_to_log_in(tmp_path):
    from client.tests.conftest import Cli

    done = Cli(tmp_path, "http://127.0.0.1:1")("account")

    assert _one_line_failure(done, 4).startswith("brokerage: no API key: run `brokerage login`")


def _closed_port() -> int:
    from client.tests.conftest import free_port

    return free_port()  # bound and released: nothing listens there


def test_auctions_are_listed_and_bid_on_from_the_command_line(cli: Cli, alice, settings):
    from trading.auctions.services.create import auction_create

    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    make_stock("LOT", "50.00")
    auction = auction_create(seller=None, symbol="LOT", qty=20, reserve_price="48.00")
    cli.login(alice)

    listed = cli("auctions")
    placed = cli("bid", str(auction.pk), "49.00", "--json")
    too_low = cli("bid", str(auction.pk), "0.01")

    assert listed.returncode == 0, listed.stderr
    assert "LOT" in listed.stdout and "not met" in listed.stdout
    assert placed.returncode == 0, placed.stderr
    assert json.loads(placed.stdout)["status"] == "leading"
    assert too_low.returncode == 1
    assert too_low.stderr.count("\n") == 1 and "(bid_not_higher)" in too_low.stderr
    assert "leading" in cli("auctions").stdout
