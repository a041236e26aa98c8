"""The trading screens in a real browser: phones, the chart, the ticket, live holdings, the
connection badge. What is asserted is what a trader sees."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from streams.tests.conftest import Bot, Daphne
from streams.tests.test_browser import browser, pytestmark, signed_in_page
from trading.tests.factories import give_shares, make_stock, place

__all__ = ["browser", "pytestmark"]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
# Set to a folder to keep the screenshots the tests take (docs/screenshots for the README).
SHOTS = os.environ.get("UI_SCREENSHOTS")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def market(alice, bob):
    """A stock with a book both sides, a few trades, and alice holding shares and an order."""
    stock = make_stock("ZUI", "100.00")
    give_shares(bob, stock, 200)
    give_shares(alice, stock, 10)
    place(bob, stock, "sell", 5, "100.50")
    place(bob, stock, "sell", 20, "101.00")
    place(alice, stock, "buy", 3, "99.00")
    for qty in (2, 3):
        place(alice, stock, "buy", qty, "100.50")
    place(bob, stock, "sell", 30, "100.80")
    return stock


PAGES = [
    "/",
    "/stocks/ZUI/",
    "/portfolio/",
    "/orders/",
    "/activity/",
    "/auctions/",
    "/auctions/mine/",
]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_page_scrolls_sideways_and_the_top_bar_stays_compact(
    daphne: Daphne, browser, alice, market, viewport
):
    page = signed_in_page(browser, daphne, alice)
    page.set_viewport_size(viewport)
    for path in PAGES:
        page.goto(f"{daphne.http}{path}")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {viewport['width']}"
        # Two rows at most: the brand and account links, then the navigation.
        assert page.locator(".topbar").bounding_box()["height"] <= 100, path
        name = path.strip("/").replace("/", "-") or "markets"
        shot(page, f"{name}-{viewport['width']}")
    if viewport is PHONE:
        page.goto(f"{daphne.http}/stocks/ZUI/")
        ticket = page.locator("#ticket-card").bounding_box()
        book = page.locator("#live-book").bounding_box()
        assert ticket["y"] < book["y"], "on a phone the ticket comes before the book"
        assert page.get_attribute("#id_qty", "inputmode") == "numeric"
        assert page.get_attribute("#id_limit_price", "inputmode") == "decimal"


def test_the_chart_draws_bars_and_switches_interval(daphne: Daphne, browser, alice, market):
    page = signed_in_page(browser, daphne, alice)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{daphne.http}/stocks/ZUI/")
    page.wait_for_selector("#price-chart[data-state=drawn]", timeout=15_000)
    assert int(page.get_attribute("#price-chart", "data-bars")) >= 1
    assert page.locator("#price-chart canvas").count() >= 1
    page.click("[data-interval='5m']")
    page.wait_for_selector("#price-chart[data-interval='5m'][data-state=drawn]", timeout=10_000)
    assert page.get_attribute("[data-interval='5m']", "aria-pressed") == "true"
    # The header shows the last trade, the best bid and ask, and the book its running totals.
    assert page.inner_text("[data-live-last]") == "$100.50"
    assert page.inner_text("[data-live-bid]") == "99.00"
    assert page.inner_text("[data-live-ask]") == "100.80"
    assert page.locator('#book-asks tr[data-price="101.0000"] td').nth(2).inner_text() == "50"
    # Alice's own bid is marked in the book.
    assert "mine" in page.get_attribute('#book-bids tr[data-price="99.0000"]', "class")


def test_keyboard_only_order_entry_places_without_a_reload(daphne: Daphne, browser, alice, market):
    page = signed_in_page(browser, daphne, alice)
    page.set_viewport_size(DESKTOP)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{daphne.http}/stocks/ZUI/")
    page.wait_for_selector("[data-connection=live]", timeout=15_000)
    page.evaluate("() => { window.notReloaded = true; }")

    # Keyboard only: into the side group, arrow to Sell, Tab through the fields, Enter.
    page.focus("[name=side][value=buy]")
    page.keyboard.press("ArrowRight")
    assert page.is_checked("[name=side][value=sell]")
    page.keyboard.press("Tab")  # order type
    page.keyboard.press("Tab")  # quantity
    page.keyboard.type("4")
    page.keyboard.press("Tab")  # Max
    page.keyboard.press("Tab")  # limit price, filled in at the best bid
    assert page.input_value("#id_limit_price") == "99.00"
    page.keyboard.press("Control+A")
    page.keyboard.type("102.00")
    assert page.inner_text("[data-estimate-label]") == "Estimated proceeds"
    assert page.inner_text("[data-estimate]") == "$408.00"
    page.keyboard.press("Enter")

    page.wait_for_selector("#open-orders tr[data-side=sell][data-limit='102.0000']", timeout=10_000)
    page.wait_for_selector(".toast", timeout=10_000)
    assert "Sell 4 ZUI: placed on the book." in page.inner_text("#toasts")
    page.wait_for_function(
        "() => document.querySelector('[data-you-hold]').textContent.includes('(11 free)')",
        timeout=10_000,
    )
    assert page.evaluate("() => window.notReloaded") is True
    # The time in force chosen is remembered for the next order.
    page.select_option("#id_time_in_force", "gtc")
    page.reload()
    assert page.input_value("#id_time_in_force") == "gtc"
    assert errors == []


def test_a_bad_order_is_refused_in_words_before_it_is_sent(
    daphne: Daphne,
    browser,
    alice,
    market,
):
    page = signed_in_page(browser, daphne, alice)
    page.goto(f"{daphne.http}/stocks/ZUI/")
    page.fill("#id_qty", "-3")
    page.fill("#id_limit_price", "100.123")
    page.click("[data-submit]")
    assert page.inner_text("[data-error-for=qty]") == "Quantity must be a whole number of shares."
    assert (
        page.inner_text("[data-error-for=limit_price]")
        == "Prices move in steps of $0.01: try 100.12."
    )


def test_another_users_trade_updates_holdings_cash_and_says_so(
    daphne: Daphne, browser, alice, bob, market
):
    from marketdata.services import stock_set_status

    page = signed_in_page(browser, daphne, alice)
    page.goto(f"{daphne.http}/stocks/ZUI/")
    page.wait_for_selector("[data-connection=live]", timeout=15_000)
    power_before = page.inner_text("[data-buying-power]")
    # bob sells into alice's resting bid at 99.00: her page hears it without a reload.
    Bot(daphne, bob).order("ZUI", "sell", 3, "99.00")
    page.wait_for_selector(".toast.up", timeout=10_000)
    assert "Buy 3 ZUI: filled at an average $99.00." in page.inner_text("#toasts")
    page.wait_for_function(
        "() => document.querySelector('[data-you-hold]').textContent.startsWith('18 shares')",
        timeout=10_000,
    )
    assert page.inner_text("[data-buying-power]") == power_before  # it was reserved already
    page.wait_for_function(
        "() => document.querySelector('[data-live-last]').textContent === '$99.00'", timeout=10_000
    )
    # A halt is pushed: the badge turns and the ticket stops taking orders.
    stock_set_status(stock_id=market.pk, status="halted")
    page.wait_for_selector("[data-live-status]:text('halted')", timeout=10_000)
    assert page.is_disabled("[data-submit]")


def test_the_connection_badge_says_reconnecting_when_the_server_stops(
    daphne: Daphne, browser, alice, market
):
    page = signed_in_page(browser, daphne, alice)
    page.goto(f"{daphne.http}/stocks/ZUI/")
    page.wait_for_selector("[data-connection=live]", timeout=15_000)
    daphne.stop()
    page.wait_for_selector("[data-connection=reconnecting]", timeout=15_000)
    assert page.inner_text("[data-connection]") == "reconnecting…"
    daphne.start()
    page.wait_for_selector("[data-connection=live]", timeout=40_000)
    assert page.inner_text("[data-connection]") == "live"
