"""The stock page in a real browser: the book, the tape and the user's orders update live."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.test import Client

from streams.tests.conftest import Bot, Daphne
from trading.tests.factories import give_shares, make_stock

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not shutil.which("chromium"), reason="no chromium"
    ),
]


@pytest.fixture
def browser(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # meanwhile are ordinary blocking ones, which Django would otherwise refuse.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--headless"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


def signed_in_page(browser, server: Daphne, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context()
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": server.http,
            }
        ]
    )
    return context.new_page()


def test_the_stock_page_shows_new_levels_trades_and_the_users_orders_without_a_reload(
    daphne: Daphne, browser, alice, bob
):
    stock = make_stock("ZBR", "100.00")
    give_shares(bob, stock, 100)
    alice_bot, bob_bot = Bot(daphne, alice), Bot(daphne, bob)
    page = signed_in_page(browser, daphne, alice)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{daphne.http}/stocks/ZBR/")
    page.wait_for_selector("#live-book[data-stream=live]", timeout=15_000)
    page.wait_for_selector("#live-book[data-book-seq='0']", timeout=15_000)
    assert page.locator("#book-asks tr").count() == 0

    # Another user's order, placed over the API, appears in the book.
    bob_bot.order("ZBR", "sell", 10, "101.00")
    page.wait_for_selector('#book-asks tr[data-price="101.0000"]', timeout=10_000)
    assert page.locator('#book-asks tr[data-price="101.0000"] td').nth(1).inner_text() == "10"

    # Alice's own order appears in her open orders; when bob fills it, its status follows.
    bid = alice_bot.order("ZBR", "buy", 4, "100.50")
    row = f'#open-orders tr[data-order-id="{bid["id"]}"]'
    page.wait_for_selector(row, timeout=10_000)
    page.wait_for_selector('#book-bids tr[data-price="100.5000"]', timeout=10_000)
    bob_bot.order("ZBR", "sell", 4, "100.50")
    page.wait_for_selector(f"{row} [data-field=status] .status-filled", timeout=10_000)
    assert page.locator(f"{row} [data-field=filled_qty]").inner_text() == "4"
    assert page.locator(f"{row} [data-field=filled_avg_price]").inner_text() == "100.50"

    # The trade is on the tape and the filled level has left the book.
    page.wait_for_selector("#trades-body tr[data-trade-seq='1']", timeout=10_000)
    assert page.locator("#trades-body tr").first.locator("td").nth(1).inner_text() == "100.50"
    page.wait_for_function(
        "() => !document.querySelector('#book-bids tr[data-price=\"100.5000\"]')", timeout=10_000
    )
    assert errors == []


def test_the_markets_page_shows_new_reference_prices_without_a_reload(daphne: Daphne, browser):
    import time
    from decimal import Decimal

    from marketdata import streams as md_streams

    stock = make_stock("AAPL", "100.00")
    page = browser.new_page()
    page.goto(f"{daphne.http}/")
    cell = '.tile[data-symbol="AAPL"] [data-field="price"]'
    assert page.inner_text(cell) == "100.00"

    stock.reference_price = Decimal("104.50")
    stock.save()
    deadline = time.monotonic() + 15
    # The page subscribes after it loads; publish until the change shows or time runs out.
    while page.inner_text(cell) != "104.50" and time.monotonic() < deadline:
        md_streams.publish_quotes([md_streams.quote_payload(stock)])
        page.wait_for_timeout(300)

    assert page.inner_text(cell) == "104.50"
    change = page.inner_text('.tile[data-symbol="AAPL"] [data-field="change"]')
    assert change == "+4.50 (+4.50%)"
