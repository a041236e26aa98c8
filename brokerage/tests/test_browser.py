"""A person in a real browser (Debian's Chromium driven by Playwright): sign up, trade, see it."""

import os
import shutil

import pytest

from trading.tests.factories import give_shares, make_stock

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def page(live_server, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        page = browser.new_page(base_url=live_server.url)
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def test_a_newcomer_signs_up_and_buys_from_the_book(page, bob):
    stock = make_stock("ACME", "50.00")
    give_shares(bob, stock, 100)
    from trading.services import order_place

    order_place(
        user=bob,
        symbol="ACME",
        side="sell",
        type="limit",
        time_in_force="gtc",
        qty=40,
        limit_price="50.25",
    )

    page.goto("/signup/")
    page.fill("#id_username", "newcomer")
    page.fill("#id_password1", "a-long-enough-passphrase")
    page.fill("#id_password2", "a-long-enough-passphrase")
    page.click("button[type=submit]")
    assert page.inner_text("[data-testid=cash]") == "$100,000.00"

    page.goto("/stocks/ACME/")
    assert "50.25" in page.inner_text("#book-asks")
    page.select_option("#id_type", "market")
    page.fill("#id_qty", "10")
    assert page.inner_text("[data-estimate]") == "$502.50"  # at the best ask
    page.click("[data-submit]")
    # A market order is reviewed before it is sent; it is placed without a page reload.
    assert "Buy 10 ACME at market" in page.inner_text("[data-review-text]")
    page.click("[data-review-confirm]")
    page.wait_for_selector(".toast")
    assert "Buy 10 ACME: filled at an average $50.25." in page.inner_text("#toasts")
    page.goto("/portfolio/")
    assert page.inner_text("[data-testid=cash]") == "$99,497.50"
    assert "ACME" in page.inner_text("#positions")


def test_a_bad_order_shows_a_form_error(page, alice):
    make_stock("ACME", "50.00")
    page.goto("/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "correct-horse-battery-staple")
    page.click("button[type=submit]")

    page.goto("/stocks/ACME/")
    page.fill("#id_qty", "abc")
    page.fill("#id_limit_price", "50")
    page.click("[data-submit]")

    assert page.inner_text("[data-error-for=qty]") == "Quantity must be a whole number of shares."
