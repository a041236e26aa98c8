"""A trader sets a price alert in the browser; another trader's trade reaches it; every page the
first has open says so within a second or two, and the bell counts it."""

from __future__ import annotations

import time
from pathlib import Path

from streams.tests.conftest import Daphne
from streams.tests.test_browser import browser, pytestmark, signed_in_page
from trading.alerts.models import PriceAlert
from trading.tests.factories import give_shares, make_stock, place

__all__ = ["browser", "pytestmark"]

SHOTS = Path("/tmp/alerts-shots")


def _live(page) -> None:
    page.wait_for_selector("body[data-notices=live]", timeout=15_000)
    page.wait_for_timeout(500)  # the private subscription is made just after the socket opens


def test_an_alert_set_on_the_stock_page_fires_on_another_users_trade_on_every_open_page(
    daphne: Daphne, browser, alice, bob, charlie
):
    stock = make_stock("ZAL", "50.00")
    give_shares(charlie, stock, 10)
    errors: list[str] = []
    page = signed_in_page(browser, daphne, alice)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{daphne.http}/stocks/ZAL/")
    assert page.get_attribute("#bell", "data-unread") == "0"
    assert page.is_hidden("[data-bell-count]")

    # "Alert me at…" under the ticket: rises to $51.00.
    page.click(".alert-me summary")
    page.select_option("#alert-direction", "above")
    page.fill("#alert-level", "51")
    page.click("[data-alert-form] button[type=submit]")
    page.wait_for_selector(".message.success", timeout=10_000)
    assert "Alert set: you will be told when ZAL is at or above $51.00." in page.inner_text(
        ".messages"
    )
    alert = PriceAlert.objects.get(user=alice)
    assert (alert.direction, str(alert.level)) == ("above", "51.0000")

    # A second page of hers, with nothing about ZAL on it.
    other = page.context.new_page()
    other.on("pageerror", lambda exc: errors.append(str(exc)))
    other.goto(f"{daphne.http}/activity/")
    _live(page)
    _live(other)

    # Bob and charlie trade at $50.50 (not reached), then at $51.20 (reached).
    place(charlie, stock, "sell", 1, "50.50")
    place(bob, stock, "buy", 1, "50.50")
    place(charlie, stock, "sell", 2, "51.20")
    started = time.monotonic()
    place(bob, stock, "buy", 2, "51.20")

    words = "ZAL traded at $51.20: your alert at or above $51.00 fired."
    for tab in (page, other):
        tab.wait_for_selector(".toast[data-notice=alert]", timeout=2_000)
        tab.wait_for_selector("[data-bell-count]:text('1')", timeout=2_000)
        assert words in tab.inner_text(".toast[data-notice=alert]")
        assert tab.get_attribute(".toast[data-notice=alert] a", "href") == "/stocks/ZAL/"
        assert tab.get_attribute("#bell", "aria-label") == "Notifications, 1 unread"
    assert time.monotonic() - started < 2.5
    assert page.locator(".toast[data-notice=alert]").count() == 1  # once, not per trade

    # The alerts page lists it as fired; the notification list has the line, unread.
    other.goto(f"{daphne.http}/alerts/")
    fired = other.inner_text("tr[data-fired]")
    assert "ZAL" in fired and "$51.00" in fired and "$51.20" in fired
    other.goto(f"{daphne.http}/notifications/")
    assert other.inner_text("#notification-list li.unread").startswith("Price alert")
    assert words in other.inner_text("#notification-list")
    assert other.inner_text("[data-bell-count]") == "1"
    shoot(other, "notifications")
    other.click("[data-mark-read]")
    other.wait_for_selector("#notification-list li:not(.unread)", timeout=10_000)
    assert other.is_hidden("[data-bell-count]")

    # Set another from the alerts page's own form; delete the fired one.
    other.goto(f"{daphne.http}/alerts/")
    other.fill("#id_symbol", "zal")
    other.select_option("#id_direction", "below")
    other.fill("#id_level", "45")
    other.click(".alert-form button[type=submit]")
    other.wait_for_selector("tr[data-alert-id]:not([data-fired])", timeout=10_000)
    assert "$45.00" in other.inner_text("tr[data-alert-id]:not([data-fired])")
    other.evaluate("() => window.scrollTo(0, 0)")
    shoot(other, "alerts")
    other.click("tr[data-fired] button")
    other.wait_for_selector(".message.success:text('Alert deleted.')", timeout=10_000)
    assert list(PriceAlert.objects.values_list("direction", "fired_at")) == [("below", None)]
    page.goto(f"{daphne.http}/stocks/ZAL/")
    page.click(".alert-me summary")
    shoot(page, "stock")
    assert errors == []


def shoot(page, name: str) -> None:
    """The page at desktop and phone size, dark and light, for looking at (and docs/)."""
    SHOTS.mkdir(exist_ok=True)
    for scheme, suffix in (("dark", ""), ("light", "-light")):
        page.emulate_media(color_scheme=scheme)
        for size, (width, height) in (("desktop", (1440, 900)), ("phone", (390, 844))):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(
                path=str(SHOTS / f"{name}-{size}{suffix}.png"), full_page=size == "phone"
            )
    page.set_viewport_size({"width": 1280, "height": 720})
