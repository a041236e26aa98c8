"""Two browsers bid against each other on one auction page; the winner finds the shares."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from streams.tests.conftest import Daphne
from streams.tests.test_browser import browser, pytestmark, signed_in_page
from trading.auctions.services.close import auction_close
from trading.auctions.services.create import auction_create
from trading.models import Auction
from trading.tests.factories import make_stock

__all__ = ["browser", "pytestmark"]


def test_two_browsers_bid_live_and_the_winner_finds_the_shares(
    daphne: Daphne,
    browser,
    alice,
    bob,
    settings,
):
    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    make_stock("ZAP", "50.00")
    lot = auction_create(
        seller=None, symbol="ZAP", qty=10, reserve_price="48.00", duration_seconds=120
    )
    url = f"{daphne.http}/auctions/{lot.pk}/"
    pages = {}
    errors: list[str] = []
    for name, user in (("alice", alice), ("bob", bob)):
        page = signed_in_page(browser, daphne, user)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url)
        page.wait_for_selector("#auction[data-stream=live]", timeout=15_000)
        pages[name] = page
    a, b = pages["alice"], pages["bob"]
    assert a.input_value("#id_max_price") == "0.01"  # the minimum bid, filled in

    # The countdown runs on the server's clock.
    first = a.inner_text("[data-countdown]")
    a.wait_for_timeout(1500)
    assert a.inner_text("[data-countdown]") != first
    assert ":" in first

    a.evaluate("() => { window.notReloaded = true; }")
    a.fill("#id_max_price", "49.00")
    a.click("#bid-form button[type=submit]")
    a.wait_for_selector("#auction-status:text('You lead at $48.00 a share')", timeout=10_000)
    assert "Your maximum: $49.00." in a.inner_text("#auction-status")
    assert a.inner_text("[data-my-max]") == "$49.00"
    assert a.evaluate("() => window.notReloaded") is True  # bid in place, no reload
    # Bob's page shows alice's bid without a reload.
    b.wait_for_function(
        "() => document.querySelector('[data-current]').textContent.trim() === '48.00'",
        timeout=10_000,
    )
    assert b.inner_text("[data-reserve]") == "reserve met"
    assert b.input_value("#id_max_price") == "48.10"  # the new minimum, filled in live
    assert b.locator("#bid-history tr").count() == 1
    assert "49.00" not in b.inner_text("#bid-history")  # her maximum stays hers

    b.fill("#id_max_price", "49.50")
    b.click("#bid-form button[type=submit]")
    b.wait_for_selector("#auction-status:text('You lead at $49.10 a share')", timeout=10_000)
    a.wait_for_function(
        "() => document.querySelector('[data-current]').textContent.trim() === '49.10'",
        timeout=10_000,
    )
    a.wait_for_selector("[data-standing].standing-outbid", timeout=10_000)
    # Finding 3: one status area, and it agrees with the badge: no "You lead" left over.
    a.wait_for_selector("#auction-status:text('You were outbid')", timeout=10_000)
    assert "You lead" not in a.inner_text("main")
    # Finding 4: the history, highest first, with alice's automatic raise to her maximum.
    history = [r.split("\t")[:3] for r in a.inner_text("#bid-history").splitlines()]
    assert history == [
        ["bidder 2", "49.10", "leading"],
        ["you automatic bid", "49.00", "outbid"],
        ["you", "48.00", "outbid"],
    ]

    # Time is up: the clock's close (called here as the beat sweep would) settles bob.
    Auction.objects.filter(pk=lot.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    auction_close(auction_id=lot.pk)
    b.wait_for_selector("[data-result]:not([hidden])", timeout=10_000)
    assert "you won" in b.inner_text("[data-result]")
    a.wait_for_selector("[data-result]:not([hidden])", timeout=10_000)
    assert "Sold at 49.10" in a.inner_text("[data-result]")
    # At the close, without a reload: the loser is told the held cash is back, the history
    # says who won.
    a.wait_for_selector("#auction-status:text('You lost')", timeout=10_000)
    assert "The $490.00 held for your bid is back in your buying power." in a.inner_text(
        "#auction-status"
    )
    a.wait_for_selector("#bid-history tr:first-child .status-won", timeout=10_000)
    b.wait_for_selector("#auction-status:text('You won: 10 ZAP shares at $49.10')", timeout=10_000)

    b.goto(f"{daphne.http}/portfolio/")
    assert "ZAP" in b.inner_text("body")
    for name, page in pages.items():
        page.set_viewport_size({"width": 1440, "height": 900})
        page.goto(url)
        page.screenshot(path=f"/tmp/auction-{name}-1440.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=f"/tmp/auction-{name}-390.png", full_page=True)
    assert errors == []
