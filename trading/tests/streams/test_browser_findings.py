"""What a first-time user and an active trader found on the screens (issue 21), each in a real
browser: what they saw, asserted the way they would see it."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from trading.tests.factories import give_shares, make_stock, place
from trading.tests.streams.conftest import Bot, Daphne
from trading.tests.streams.test_browser import browser, pytestmark, signed_in_page

__all__ = ["browser", "pytestmark"]


@pytest.fixture
def limited_daphne(transactional_db):
    """A daphne with the default rate limits on (the other browser tests turn them off)."""
    server = Daphne(env={"API_RATE_LIMIT": "200/min"})
    try:
        yield server.start()
    finally:
        server.stop()
        server.log.close()


def test_finding_1_browsing_the_markets_page_never_spends_the_tickets_budget(
    limited_daphne: Daphne, browser, alice
):
    from marketdata.models import PriceBar

    now = timezone.now().replace(second=0, microsecond=0)
    for n in range(55):
        stock = make_stock(f"ZM{n:02d}", "20.00")
        for minutes, close in ((2, "19.80"), (1, "20.10")):
            PriceBar.objects.create(
                stock=stock,
                start=now - timedelta(minutes=minutes),
                open=close,
                high=close,
                low=close,
                close=close,
                source="simulated",
            )
    page = signed_in_page(browser, limited_daphne, alice)
    api_calls: list[str] = []
    page.on("request", lambda r: "/api/" in r.url and api_calls.append(r.url))

    for _ in range(10):
        page.goto(f"{limited_daphne.http}/")
        page.wait_for_load_state("networkidle")
    # Every row's sparkline is there, drawn without a request per row.
    assert page.locator("table.stocks [data-sparkline] svg path.spark-up").count() == 50
    assert [url for url in api_calls if "/candles" in url] == []

    # Then the ticket places a 1-share order: the page's budget is intact.
    page.goto(f"{limited_daphne.http}/stocks/ZM00/")
    page.wait_for_selector("[data-connection=live]", timeout=15_000)
    page.fill("#id_qty", "1")
    page.fill("#id_limit_price", "19.90")
    page.click("[data-submit]")
    page.wait_for_selector(".toast", timeout=10_000)
    assert "Buy 1 ZM00: placed on the book." in page.inner_text("#toasts")
    assert "Too many" not in page.inner_text("body")


def test_finding_5_the_demo_never_bids_with_the_demo_log_ins_money(
    daphne: Daphne, browser, alice, bob, settings
):
    from trading.demo import demo_auctions_keep, demo_bid, security_codes
    from trading.models import Bid

    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    for symbol in list(security_codes())[:8]:
        make_stock(symbol, "20.00")
    rng = random.Random(5)
    demo_auctions_keep(lots=6, rng=rng)
    demo_bids = sum(demo_bid(rng=rng) for _ in range(300))
    assert demo_bids > 10
    assert Bid.objects.count() >= demo_bids

    page = signed_in_page(browser, daphne, alice)
    page.goto(f"{daphne.http}/auctions/mine/")
    assert "You have not bid yet." in page.inner_text("main")
    page.goto(f"{daphne.http}/portfolio/")
    assert page.inner_text("[data-testid=cash]") == "$100,000.00"
    assert page.inner_text("[data-testid=held]") == "$0.00"
    assert page.inner_text("[data-testid=buying-power]") == "$100,000.00"
    # On an auction the demo bid on, no row of the history is alice's.
    auction = Bid.objects.order_by("pk").first().auction
    page.goto(f"{daphne.http}/auctions/{auction.pk}/")
    assert "you" not in page.inner_text("#bid-history").lower().split()
    assert Bid.objects.filter(bidder__in=[alice, bob]).count() == 0


def test_finding_2_a_fill_updates_the_open_portfolios_cash_and_position_within_a_second(
    daphne: Daphne, browser, alice, bob
):
    stock = make_stock("ZPF", "50.00")
    give_shares(bob, stock, 100)
    give_shares(alice, stock, 10)
    place(alice, stock, "buy", 4, "50.00")
    page = signed_in_page(browser, daphne, alice)
    page.goto(f"{daphne.http}/portfolio/")
    page.wait_for_selector("[data-connection=live]", timeout=15_000)
    assert page.inner_text("[data-testid=cash]") == "$100,000.00"
    shares = "#positions tr[data-symbol=ZPF] td:nth-child(2)"
    assert page.inner_text(shares) == "10"

    Bot(daphne, bob).order("ZPF", "sell", 4, "50.00")  # fills alice's resting bid
    page.wait_for_function(
        f"() => document.querySelector('{shares}').textContent.trim() === '14'", timeout=1_500
    )
    assert page.inner_text("[data-testid=cash]") == "$99,800.00"
    assert page.inner_text("[data-testid=held]") == "$0.00"
    # The filled order leaves the open orders.
    page.wait_for_function(
        "() => !document.querySelector('#open-orders tr[data-open=false]')", timeout=5_000
    )
    from accounts.models import Account

    assert Account.objects.get(user=alice).cash == Decimal("99800.00")
