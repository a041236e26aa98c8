"""The stock chart's ranges (1D, 1W, 1M, 1Y): a click or a key changes the bars drawn, the
choice stays with the tab, and each range asks for bars the API can answer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from marketdata.models import PriceBar
from streams.tests.conftest import Daphne
from streams.tests.test_browser import browser, pytestmark, signed_in_page
from streams.tests.test_browser_ui import DESKTOP
from trading.tests.factories import make_stock

__all__ = ["browser", "pytestmark"]


def drawn(page, range_name: str) -> int:
    page.wait_for_selector(
        f"#price-chart[data-range='{range_name}'][data-state=drawn]", timeout=10_000
    )
    return int(page.get_attribute("#price-chart", "data-bars"))


def test_a_range_changes_the_bars_and_stays_with_the_tab(daphne: Daphne, browser, alice):
    stock = make_stock("ZRG", "40.00")
    now = timezone.now().replace(second=0, microsecond=0)
    # A one-minute reference bar at each of the last 20 days' hours: 1D shows the last day's
    # (5-minute bars, one for each hour that had a price), 1W a week of hourly bars.
    PriceBar.objects.bulk_create(
        PriceBar(
            stock=stock,
            start=now - timedelta(hours=h),
            open=Decimal("40.00"),
            high=Decimal("40.50"),
            low=Decimal("39.50"),
            close=Decimal("40.00") + Decimal(h % 7) / 10,
            source="simulator",
        )
        for h in range(1, 20 * 24)
    )
    page = signed_in_page(browser, daphne, alice)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{daphne.http}/stocks/ZRG/")
    day = drawn(page, "1D")
    assert 20 <= day <= 26
    assert page.get_attribute("[data-range='1D']", "aria-pressed") == "true"
    assert page.get_attribute("[data-interval='5m']", "aria-pressed") == "true"

    page.click("[data-range='1W']")
    week = drawn(page, "1W")
    assert 160 <= week <= 170
    assert page.get_attribute("[data-range='1W']", "aria-pressed") == "true"
    assert page.get_attribute("[data-range='1D']", "aria-pressed") == "false"
    assert page.get_attribute("[data-interval='1h']", "aria-pressed") == "true"

    # From the keyboard: focus 1Y and press Enter; a year of daily bars.
    page.focus("[data-range='1Y']")
    page.keyboard.press("Enter")
    year = drawn(page, "1Y")
    assert 20 <= year <= 22
    assert page.get_attribute("#price-chart", "data-interval") == "1d"

    # Kept with the tab: a reload draws the year again; a new tab starts at 1D.
    page.reload()
    assert drawn(page, "1Y") == year
    other = page.context.new_page()
    other.goto(f"{daphne.http}/stocks/ZRG/")
    assert drawn(other, "1D") == day
