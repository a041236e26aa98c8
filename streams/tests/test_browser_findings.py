"""What a first-time user and an active trader found on the screens (issue 21), each in a real
browser: what they saw, asserted the way they would see it."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from streams.tests.conftest import Bot, Daphne
from streams.tests.test_browser import browser, pytestmark, signed_in_page
from streams.tests.test_browser_ui import shot
from trading.tests.factories import give_shares, make_stock, place

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
    page.wait_for_selector("[data-connection=live]", timeout=30_000)
    page.fill("#id_qty", "1")
    page.fill("#id_limit_price", "19.90")
    page.click("[data-submit]")
    page.wait_for_selector(".toast", timeout=10_000)
    assert "Buy 1 ZM00: placed on the book." in page.inner_text("#toasts")
    assert "Too many" not in page.inner_text("body")


def test_finding_5_the_demo_never_bids_with_the_demo_log_ins_money(
    daphne: Daphne, browser, alice, bob, settings
):
    from marketdata.securities import security_codes
    from trading.demo import demo_auctions_keep, demo_bid
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


def test_finding_6_an_outbid_shows_on_any_open_page_and_a_cancel_keeps_the_page(
    daphne: Daphne, browser, alice, bob, settings
):
    from trading.auctions.services.bids import auction_bid_place
    from trading.auctions.services.create import auction_create

    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    stock = make_stock("ZOB", "50.00")
    lot = auction_create(
        seller=None, symbol="ZOB", qty=10, reserve_price="48.00", duration_seconds=120
    )
    auction_bid_place(user=alice, auction_id=lot.pk, max_price="49.00")
    give_shares(alice, stock, 10)
    order = place(alice, stock, "sell", 5, "55.00")
    page = signed_in_page(browser, daphne, alice)
    page.goto(f"{daphne.http}/activity/")  # a page with nothing live of its own
    page.wait_for_selector("body[data-notices=live]", timeout=15_000)
    page.wait_for_timeout(500)  # the private subscription is made just after the socket opens

    auction_bid_place(user=bob, auction_id=lot.pk, max_price="52.00")
    page.wait_for_selector(".toast[data-notice=auction]", timeout=10_000)
    notice = page.inner_text(".toast[data-notice=auction]")
    assert "You were outbid on ZOB: the price is now $49.10 a share." in notice
    assert page.get_attribute(".toast[data-notice=auction] a", "href") == f"/auctions/{lot.pk}/"

    # A cancel happens in place: no reload, and the row says so.
    page.goto(f"{daphne.http}/portfolio/")
    page.wait_for_selector("[data-connection=live]", timeout=15_000)
    page.evaluate("() => { window.notReloaded = true; }")
    row = f'#open-orders tr[data-order-id="{order.id}"]'
    page.click(f"{row} button.danger")
    page.wait_for_selector(f"{row} .status-canceled", timeout=10_000)
    assert "by you" in page.inner_text(row)
    assert page.evaluate("() => window.notReloaded") is True
    page.wait_for_selector(row, state="detached", timeout=5_000)  # it leaves the open orders


def test_finding_9_a_halt_saved_in_the_admins_stock_form_shows_on_the_open_markets_page(
    daphne: Daphne, browser, alice, django_user_model
):
    stock = make_stock("AAPL", "100.00")
    staff = django_user_model.objects.create_user(
        username="ops", password="x-pass-123456", is_staff=True, is_superuser=True
    )
    markets = signed_in_page(browser, daphne, alice)
    markets.goto(f"{daphne.http}/")
    markets.wait_for_selector("body[data-stream=live]", timeout=15_000)
    markets.wait_for_timeout(500)
    row_status = 'table.stocks tr[data-symbol="AAPL"] [data-field=status]'
    assert markets.inner_text(row_status) == "active"

    admin = signed_in_page(browser, daphne, staff)
    admin.goto(f"{daphne.http}/admin/marketdata/stock/{stock.pk}/change/")
    admin.select_option("#id_status", "halted")
    admin.click("input[name=_save]")
    admin.wait_for_selector(".messagelist", timeout=10_000)

    markets.wait_for_function(
        f"() => document.querySelector('{row_status}').textContent.trim() === 'halted'",
        timeout=10_000,
    )
    assert markets.is_visible('.tile[data-symbol="AAPL"] [data-field=halt]')
    stock.refresh_from_db()
    assert stock.status == "halted"


def test_finding_10_trader_pages_and_the_admin_speak_plain_words(
    daphne: Daphne, browser, alice, bob, django_user_model
):
    from trading.auctions.services.bids import auction_bid_place
    from trading.auctions.services.create import auction_create
    from trading.services import order_cancel

    stock = make_stock("ZWD", "20.00")
    give_shares(bob, stock, 50)
    resting = place(alice, stock, "buy", 5, "19.50")
    order_cancel(user=alice, order_id=resting.pk)
    place(bob, stock, "sell", 3, "20.25")
    place(alice, stock, "buy", 3, "20.25")  # alice takes bob's offer
    lot = auction_create(
        seller=None, symbol="ZWD", qty=10, reserve_price="18.00", duration_seconds=120
    )
    auction_bid_place(user=alice, auction_id=lot.pk, max_price="19.00")
    with pytest.raises(Exception):  # noqa: B017 - the refusal is the point; it is kept
        auction_bid_place(user=alice, auction_id=lot.pk, max_price="18.50")

    page = signed_in_page(browser, daphne, alice)
    page.goto(f"{daphne.http}/orders/")
    orders = page.inner_text("main")
    assert "canceled by you" in orders and "user_requested" not in orders
    page.goto(f"{daphne.http}/auctions/mine/")
    mine = page.inner_text("main")
    assert "not above your own maximum" in mine and "bidnothigher" not in mine
    page.goto(f"{daphne.http}/activity/")
    activity = page.inner_text("main")
    assert "your order met one waiting on the book" in activity
    assert "taker" not in activity and "20.2500" not in activity
    assert "Bought 3 ZWD @ 20.25" in activity
    page.goto(f"{daphne.http}/stocks/ZWD/")
    assert page.inner_text("#book-title") == "Order book"

    staff = django_user_model.objects.create_user(
        username="ops", password="x-pass-123456", is_staff=True, is_superuser=True
    )
    admin = signed_in_page(browser, daphne, staff)
    admin.goto(f"{daphne.http}/admin/trading/auction/create/")
    assert admin.get_attribute("form input[type=submit]", "value") == "Open the auction"
    admin.goto(f"{daphne.http}/admin/trading/auction/{lot.pk}/change/")
    assert admin.locator("input[name=_save]").count() == 0
    admin.goto(f"{daphne.http}/admin/trading/auction/")
    ends = admin.inner_text("td.field-ends")
    assert ends.count(":") == 2, ends  # hours, minutes and seconds, even on the hour


def test_finding_7_on_a_phone_positions_orders_and_activity_are_cards_with_nothing_off_screen(
    daphne: Daphne, browser, alice, bob
):
    stock = make_stock("ZPH", "182.17")
    give_shares(bob, stock, 100)
    place(bob, stock, "sell", 3, "182.17")
    place(alice, stock, "buy", 3, "182.17")  # 546.51 out of alice's cash
    resting = place(alice, stock, "buy", 2, "180.00")
    page = signed_in_page(browser, daphne, alice)
    page.set_viewport_size({"width": 390, "height": 844})

    def inside(selector: str) -> None:
        # The live portfolio swaps its positions in fresh from the server once its streams are
        # up: an element measured as it is replaced has no box, so measure the one in place.
        box = None
        for _ in range(30):
            box = page.locator(selector).first.bounding_box()
            if box is not None:
                break
            page.wait_for_timeout(100)
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, selector

    def no_inner_scroll() -> None:
        scrolled = page.evaluate(
            "() => [...document.querySelectorAll('.table-wrap')]"
            ".filter(w => w.scrollWidth > w.clientWidth + 1).length"
        )
        assert scrolled == 0

    page.goto(f"{daphne.http}/portfolio/")
    inside("#positions tr[data-symbol=ZPH] [data-field=value]")
    inside("#positions tr[data-symbol=ZPH] [data-field=unrealized]")
    row = f'#open-orders tr[data-order-id="{resting.id}"]'
    inside(f"{row} [data-field=status]")
    inside(f"{row} button.danger")
    no_inner_scroll()
    shot(page, "cards-portfolio-390")
    page.goto(f"{daphne.http}/activity/")
    amount = page.locator("table.activity tr[data-kind] td:nth-child(4)").filter(has_text="546")
    assert amount.first.inner_text() == "-546.51"
    inside("table.activity tr[data-kind] td:nth-child(4)")
    no_inner_scroll()
    shot(page, "cards-activity-390")
    page.goto(f"{daphne.http}/orders/")
    inside(f"{row} [data-field=status]")
    inside(f"{row} button.danger")
    no_inner_scroll()


def test_finding_8_a_market_order_is_not_offered_where_nobody_is_on_the_other_side(
    daphne: Daphne, browser, alice, bob
):
    from marketdata.services import history_backfill

    stock = make_stock("ZNM", "30.00")
    history_backfill(stocks=[stock])
    give_shares(bob, stock, 10)
    page = signed_in_page(browser, daphne, alice)
    page.goto(f"{daphne.http}/stocks/ZNM/")
    page.wait_for_selector("[data-connection=live]", timeout=15_000)
    # The chart is full from the first minute: a day of one-minute history, drawn by the 1D
    # range as 5-minute bars, and as one-minute bars when asked.
    page.wait_for_selector("#price-chart[data-range='1D'][data-state=drawn]", timeout=15_000)
    assert int(page.get_attribute("#price-chart", "data-bars")) >= 250
    page.click("[data-interval='1m']")
    page.wait_for_selector("#price-chart[data-interval='1m'][data-state=drawn]", timeout=15_000)
    assert int(page.get_attribute("#price-chart", "data-bars")) >= 500
    # The OHLC read-out: the latest bar, then the bar under the pointer.
    latest = page.inner_text("[data-ohlc]")
    assert latest.startswith("O ") and " C 30.00 " in latest
    box = page.locator("#price-chart").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.wait_for_function(
        f"() => document.querySelector('[data-ohlc]').textContent !== {latest!r}", timeout=5_000
    )
    assert page.inner_text("[data-ohlc]").startswith("O ")

    page.select_option("#id_type", "market")
    assert page.inner_text("[data-submit]") == "No market yet: limit orders only"
    assert page.is_disabled("[data-submit]")
    assert page.is_visible("[data-no-market]")
    # A market order starts as a day order, whatever a limit order used last.
    assert page.input_value("#id_time_in_force") == "day"

    Bot(daphne, bob).order("ZNM", "sell", 10, "30.10")  # now someone sells
    page.wait_for_function(
        "() => !document.querySelector('[data-submit]').disabled", timeout=10_000
    )
    assert page.inner_text("[data-submit]") == "Review buy at market"
    assert not page.is_visible("[data-no-market]")


def test_finding_11_the_smaller_things(daphne: Daphne, browser, alice, bob):
    stock = make_stock("ZSM", "40.00")
    give_shares(alice, stock, 3)
    place(bob, stock, "buy", 3, "40.00")
    page = signed_in_page(browser, daphne, alice)
    page.set_viewport_size({"width": 1440, "height": 900})
    console: list[str] = []
    page.on("console", lambda m: m.type == "error" and console.append(m.text))
    page.goto(f"{daphne.http}/stocks/ZSM/")
    page.wait_for_selector("[data-connection=live]", timeout=15_000)

    # alice sells all she holds into bob's bid: the page follows without a 404 in the console.
    page.check("[name=side][value=sell]")
    page.fill("#id_qty", "3")
    page.fill("#id_limit_price", "40.00")
    page.click("[data-submit]")
    page.wait_for_selector(".toast.up", timeout=10_000)
    page.wait_for_function(
        "() => document.querySelector('[data-you-hold]').textContent.startsWith('0 shares')",
        timeout=10_000,
    )
    # The toasts keep off the ticket's button.
    toast = page.locator(".toast").first.bounding_box()
    submit = page.locator("[data-submit]").bounding_box()
    assert toast["x"] + toast["width"] < submit["x"] or toast["y"] > submit["y"] + submit["height"]
    assert console == []

    # The API docs lead back to the site.
    page.goto(f"{daphne.http}/api/docs/")
    page.click("text=← Back to the markets")
    assert page.url == f"{daphne.http}/"

    # API keys: a copy button for the secret, and a revoke asks first.
    page.goto(f"{daphne.http}/settings/api-keys/")
    page.fill("#id_name", "my bot")
    page.click("text=Create key")
    assert page.locator("#new-key [data-copy]").count() == 2
    answers = iter([False, True])
    page.on("dialog", lambda d: d.accept() if next(answers) else d.dismiss())
    page.click("text=Revoke")
    assert page.locator("td .badge.ok").count() == 1  # dismissed: still active
    page.click("text=Revoke")
    page.wait_for_selector("td .badge.muted:text('revoked')", timeout=10_000)


def test_build_type_ahead_search_and_cancel_all(daphne: Daphne, browser, alice):
    stock = make_stock("ZTA", "12.00")
    make_stock("ZTB", "13.00")
    for price in ("11.50", "11.60", "11.70"):
        place(alice, stock, "buy", 1, price)
    page = signed_in_page(browser, daphne, alice)
    page.goto(f"{daphne.http}/")
    page.fill("input[data-suggest]", "zt")
    page.wait_for_selector("input[data-suggest][data-suggested='2']", timeout=5_000)
    options = page.eval_on_selector_all("#stock-suggestions option", "os => os.map(o => o.value)")
    assert options == ["ZTA", "ZTB"]
    page.fill("input[data-suggest]", "ZTA")
    page.dispatch_event("input[data-suggest]", "change")
    page.wait_for_url(f"{daphne.http}/stocks/ZTA/", timeout=5_000)

    page.goto(f"{daphne.http}/portfolio/")
    page.wait_for_selector("[data-connection=live]", timeout=15_000)
    assert page.locator("#open-orders tr[data-open=true]").count() == 3
    page.on("dialog", lambda d: d.accept())
    page.click("[data-cancel-all]")
    page.wait_for_function(
        "() => document.querySelectorAll('#open-orders tr[data-open=true]').length === 0",
        timeout=10_000,
    )
    page.wait_for_selector("#open-orders tr", state="detached", timeout=5_000)
    assert "No open orders." in page.inner_text("main")


def test_build_an_open_order_is_modified_in_place(daphne: Daphne, browser, alice):
    from trading.models import Order

    stock = make_stock("ZMO", "20.00")
    order = place(alice, stock, "buy", 5, "19.50")
    page = signed_in_page(browser, daphne, alice)
    page.goto(f"{daphne.http}/portfolio/")
    page.wait_for_selector("[data-connection=live]", timeout=15_000)
    page.evaluate("() => { window.notReloaded = true; }")
    row = f'#open-orders tr[data-order-id="{order.id}"]'
    page.click(f"{row} [data-modify]")
    page.fill(f"{row} input[aria-label='New quantity']", "8")
    page.fill(f"{row} input[aria-label='New limit price']", "19.60")
    page.click(f"{row} [data-modify-save]")
    page.wait_for_selector("#open-orders tr[data-limit='19.6000']", timeout=10_000)
    new = page.locator("#open-orders tr[data-limit='19.6000']")
    assert new.locator("[data-field=qty]").inner_text() == "8"
    page.wait_for_selector(row, state="detached", timeout=5_000)  # the replaced order leaves
    assert page.evaluate("() => window.notReloaded") is True
    assert Order.objects.get(pk=order.pk).status == "replaced"
    assert Order.objects.filter(user=alice, status="new", qty=8).count() == 1
    assert page.inner_text("[data-testid=held]") == "$156.80"  # 8 × 19.60, refreshed live
