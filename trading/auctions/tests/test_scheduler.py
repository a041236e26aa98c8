"""The auctions' clock: the sweep runs the hooks the settings name (the demo rides on one),
and the product's sweep knows nothing of the demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from marketdata.securities import security_codes
from trading.auctions.scheduler import auctions_sweep
from trading.models import Auction
from trading.tests.factories import make_stock

ROOT = Path(__file__).resolve().parents[3]
CALLS: list[str] = []


def counting_hook() -> dict[str, int]:
    CALLS.append("called")
    return {"counted": len(CALLS)}


def test_the_sweep_runs_the_hooks_the_settings_name(db, settings):
    CALLS.clear()
    settings.AUCTION_SWEEP_HOOKS = ["trading.auctions.tests.test_scheduler.counting_hook"]
    assert auctions_sweep() == {"opened": 0, "closed": 0, "set_aside": 0, "counted": 1}
    assert auctions_sweep()["counted"] == 2


def test_without_hooks_the_sweep_opens_no_demo_lot(db, settings, clock):
    settings.AUCTION_DEMO_LOTS = 3  # the demo's size, but its hook not named
    settings.AUCTION_SWEEP_HOOKS = []
    for symbol in list(security_codes())[:5]:
        make_stock(symbol, "20.00")
    assert auctions_sweep() == {"opened": 0, "closed": 0, "set_aside": 0}
    assert not Auction.objects.exists()


def test_the_demo_hook_keeps_its_house_lots_running(db, settings, clock):
    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    settings.AUCTION_DEMO_LOTS = 3
    settings.AUCTION_SWEEP_HOOKS = ["trading.demo.demo_auctions_sweep"]
    for symbol in list(security_codes())[:5]:
        make_stock(symbol, "20.00")
    done = auctions_sweep()
    assert done["demo_opened"] == 3 and "demo_bids" in done
    assert Auction.objects.filter(seller__is_house=True, status="open").count() == 3
    assert auctions_sweep()["demo_opened"] == 0  # kept at 3, not opened again


@pytest.mark.parametrize(
    ("env", "hooks"),
    [
        ({"AUCTION_DEMO_LOTS": "8"}, "['trading.demo.demo_auctions_sweep']"),
        ({"AUCTION_DEMO_LOTS": "0"}, "[]"),
        (
            {"AUCTION_SWEEP_HOOKS": "shop.sweep_extra, shop.more"},
            "['shop.sweep_extra', 'shop.more']",
        ),
    ],
)
def test_the_demo_hook_is_named_only_where_the_demo_runs(env, hooks):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AUCTION_"))}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from brokerage import settings; print(settings.AUCTION_SWEEP_HOOKS)",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_DEBUG": "true", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == hooks
