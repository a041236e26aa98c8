"""Finding 10 (CSP): every page carries a Content-Security-Policy and still works under it."""

from __future__ import annotations

from streams.tests.conftest import Daphne, place
from streams.tests.test_browser import browser, pytestmark, signed_in_page  # noqa: F401
from trading.tests.factories import give_shares, make_stock


def test_the_pages_load_with_no_policy_violation(daphne: Daphne, browser, alice, bob):  # noqa: F811
    stock = make_stock("ZCS", "100.00")
    give_shares(bob, stock, 10)
    place(bob, stock, "sell", 5, "101.00")
    page = signed_in_page(browser, daphne, alice)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    for path in ("/", "/stocks/ZCS/", "/portfolio/", "/orders/", "/auctions/"):
        response = page.goto(f"{daphne.http}{path}")
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
    # The stock page's scripts ran: its live stream connected and drew the book.
    page.goto(f"{daphne.http}/stocks/ZCS/")
    page.wait_for_selector("text=101.00", timeout=10_000)
    assert refused == []
