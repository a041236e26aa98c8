"""In a real browser: auction prints marked on the chart and the tape, the markets page's day
figures kept live, and the ticket's refusals from the API in plain words."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from streams.tests.conftest import Bot, Daphne
from streams.tests.test_browser import browser, pytestmark, signed_in_page
from streams.tests.test_browser_ui import DESKTOP, market
from trading.auctions.services.bids import auction_bid_place
from trading.auctions.services.close import auction_close
from trading.auctions.services.create import auction_create
from trading.models import Auction
from trading.tests.factories import give_shares, make_stock

__all__ = ["browser", "market", "pytestmark"]


def _sell_lot_to(user, symbol: str, max_price: str) -> Auction:
    """A house lot of 10 bid on by `user`, closed now: an auction print on the tape."""
    lot = auction_create(seller=None, symbol=symbol, qty=10, reserve_price="100.00")
    auction_bid_place(user=user, auction_id=lot.pk, max_price=max_price)
    now = timezone.now()
    Auction.objects.filter(pk=lot.pk).update(
        starts_at=now - timedelta(seconds=10), ends_at=now - timedelta(seconds=1)
    )
    auction_close(auction_id=lot.pk)
    return lot


def test_an_auction_print_is_marked_on_the_chart_and_the_tape_live_and_after_a_reload(
    daphne: Daphne, browser, alice, market, settings
):
    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    page = signed_in_page(browser, daphne, alice)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{daphne.http}/stocks/ZUI/")
    page.wait_for_selector("#price-chart[data-state=drawn]", timeout=15_000)
    page.wait_for_selector("[data-connection=live]", timeout=15_000)
    assert page.get_attribute("#price-chart", "data-auction-markers") == "0"

    _sell_lot_to(alice, "ZUI", "100.00")

    page.wait_for_selector("#price-chart[data-auction-markers='1']", timeout=10_000)
    assert page.inner_text("#trades-body tr.auction-print .badge") == "auction"
    page.reload()
    page.wait_for_selector("#price-chart[data-state=drawn]", timeout=15_000)
    assert page.get_attribute("#price-chart", "data-auction-markers") == "1"
    assert page.locator("#trades-body tr.auction-print").count() == 1


def test_the_markets_rows_volume_high_and_low_follow_the_trades(
    daphne: Daphne, browser, alice, bob, market
):
    page = signed_in_page(browser, daphne, alice)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{daphne.http}/?q=ZUI")
    row = 'table.stocks tr[data-symbol="ZUI"]'
    page.wait_for_selector(f"{row}[data-trade-seq]", timeout=15_000)
    # `market` traded 2 + 3 at 100.50.
    assert page.inner_text(f"{row} [data-field=volume]") == "5"
    assert page.inner_text(f"{row} [data-field=day_high]") == "100.50"

    # bob sells into alice's bid at 99.00, then alice lifts the 100.80 ask: the row follows.
    Bot(daphne, bob).order("ZUI", "sell", 3, "99.00")
    page.wait_for_function(
        f"() => document.querySelector('{row} [data-field=volume]').textContent === '8'",
        timeout=10_000,
    )
    assert page.inner_text(f"{row} [data-field=day_low]") == "99.00"
    Bot(daphne, alice).order("ZUI", "buy", 4, "100.80")
    page.wait_for_function(
        f"() => document.querySelector('{row} [data-field=volume]').textContent === '12'",
        timeout=10_000,
    )
    assert page.inner_text(f"{row} [data-field=day_high]") == "100.80"


def test_a_refusal_from_the_api_reads_as_a_sentence_on_its_field(daphne: Daphne, browser, alice):
    stock = make_stock("ZRF", "100.00")
    give_shares(alice, stock, 5)
    page = signed_in_page(browser, daphne, alice)
    page.goto(f"{daphne.http}/stocks/ZRF/")
    page.wait_for_selector("[data-connection=live]", timeout=15_000)

    # Outside the price band: only the server knows the band.
    page.fill("#id_qty", "1")
    page.fill("#id_limit_price", "150")
    page.click("[data-submit]")
    page.wait_for_function(
        "() => document.querySelector('[data-error-for=limit_price]').textContent !== ''",
        timeout=10_000,
    )
    assert page.inner_text("[data-error-for=limit_price]") == (
        "The limit price must be between $90.00 and $110.00 (within 10% of the reference price)."
    )
    # Selling more than is held.
    page.check("input[name=side][value=sell]", force=True)
    page.fill("#id_qty", "8")
    page.fill("#id_limit_price", "100.00")
    page.click("[data-submit]")
    page.wait_for_function(
        "() => document.querySelector('[data-error-for=qty]').textContent.startsWith('You have')",
        timeout=10_000,
    )
    assert page.inner_text("[data-error-for=qty]") == (
        "You have 5 shares free to sell (shares in open sell orders are held)."
    )
    assert "limit_price" not in page.inner_text("#order-ticket")
