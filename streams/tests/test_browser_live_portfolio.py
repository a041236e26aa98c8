"""The portfolio says "live" and is: a stock held moves the open page when anyone trades it or
its reference price changes, not only on the user's own fills, and the figures it shows are
the ones a reload would show (the server's marking rule)."""

from __future__ import annotations

from decimal import Decimal

from marketdata import streams as md_streams
from marketdata.models import Stock
from streams.tests.conftest import Bot, Daphne
from streams.tests.test_browser import browser, pytestmark, signed_in_page
from trading.tests.factories import give_shares, make_stock

__all__ = ["browser", "pytestmark"]

FIGURES = {
    "price": "#positions tr[data-symbol=ZLV] td:nth-child(5)",
    "value": "#positions tr[data-symbol=ZLV] [data-field=value]",
    "unrealized": "#positions tr[data-symbol=ZLV] [data-field=unrealized]",
    "today": "#positions tr[data-symbol=ZLV] [data-field=today]",
    "equity": "[data-testid=equity]",
    "positions_value": "[data-testid=positions-value]",
    "today_total": "[data-testid=today-pl]",
}


def figures(page) -> dict[str, str]:
    return {name: page.inner_text(selector).strip() for name, selector in FIGURES.items()}


def wait_for_value(page, text: str) -> None:
    page.wait_for_function(
        f"() => document.querySelector('{FIGURES['value']}').textContent.trim() === '{text}'",
        timeout=1_000,
    )


def test_others_trades_and_reference_prices_move_the_open_portfolio_as_a_reload_would(
    daphne: Daphne, browser, alice, bob, charlie
):
    stock = make_stock("ZLV", "50.00")  # previous close 50.00 too
    give_shares(alice, stock, 10)
    give_shares(charlie, stock, 100)
    page = signed_in_page(browser, daphne, alice)
    page.goto(f"{daphne.http}/portfolio/")
    page.wait_for_selector("[data-connection=live]", timeout=15_000)
    before = figures(page)
    assert before["value"] == "$500.00"
    assert before["today"] == "0.00"

    # Bob buys from Charlie at 52.00: alice's 10 shares are now worth $520.00, $20 up today.
    Bot(daphne, charlie).order("ZLV", "sell", 5, "52.00")
    Bot(daphne, bob).order("ZLV", "buy", 5, "52.00")
    wait_for_value(page, "$520.00")
    moved = figures(page)
    assert moved["today"] == "+20.00"
    assert moved["today_total"] == "+20.00"
    assert moved["equity"] != before["equity"]
    page.reload()
    page.wait_for_selector("[data-connection=live]", timeout=15_000)
    assert figures(page) == moved

    # The reference price falls to 46.00: the band (±10%) now ends at 50.60, so the last trade
    # at 52.00 marks at 50.60 — the server's rule, shown without a reload.
    page.wait_for_timeout(500)  # the reloaded page's subscriptions settle
    Stock.objects.filter(pk=stock.pk).update(reference_price=Decimal("46.00"))
    md_streams.publish_quotes([md_streams.quote_payload(Stock.objects.get(pk=stock.pk))])
    wait_for_value(page, "$506.00")
    banded = figures(page)
    assert banded["price"] == "$50.60"
    assert banded["today"] == "+6.00"
    page.reload()
    page.wait_for_selector("[data-connection=live]", timeout=15_000)
    assert figures(page) == banded
