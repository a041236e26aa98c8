"""What Alpaca's other clients (alpaca-trade-api, Lumibot, ccxt) need of `/v2`, in-process:
the host root as a base URL, a base URL ending in a slash, listing exchanges, FOK answered as
an order, watchlists by name, and refusals that name the right field and range."""

from __future__ import annotations

import pytest
from alpaca.trading.models import Asset, Order, Watchlist
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from pydantic import TypeAdapter

from marketdata.models import Stock
from trading.models import Order as OrderRow
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.django_db

MARKET_BUY = {"symbol": "ACME", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"}


@pytest.fixture
def acme(db):
    return make_stock("ACME", "100.00")


@pytest.mark.parametrize("prefix", ["/v2", "/api/v2", "/api//v2", "/v2/"])
def test_the_api_answers_at_the_host_root_and_under_api_with_any_trailing_slash(
    alice, key_client, acme, prefix
):
    client = key_client(alice)
    account = client.get(f"{prefix}/account")
    assert account.status_code == 200, account.content
    assert account.json()["cash"] == "100000"
    placed = client.post(f"{prefix}/orders", {**MARKET_BUY, "qty": 2}, format="json")
    assert placed.status_code == 200, placed.content
    assert Order(**placed.json()).qty == "2"


@pytest.mark.parametrize("path", ["/v2/nope", "/v2/", "/v2/orders/not-a-uuid", "/api//v2/nope"])
def test_an_unknown_path_under_either_prefix_is_json_in_alpacas_shape(alice, key_client, path):
    response = key_client(alice).get(path)
    assert response.status_code == 404, path
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == 40410000


def test_a_wrong_method_at_the_root_is_a_json_405_and_root_answers_carry_server_timing(
    alice, key_client
):
    client = key_client(alice)
    response = client.put("/v2/account", {}, format="json")
    assert response.status_code == 405 and response.json()["code"] == 40510000
    assert client.get("/v2/clock")["Server-Timing"].startswith("app;dur=")


def test_missing_credentials_at_the_root_are_refused_in_alpacas_shape(api_client):
    response = api_client.get("/v2/account")
    assert response.status_code in (401, 403)
    assert response.json()["code"] in (40110000, 40310000)


@pytest.mark.parametrize(
    "path", ["/stream", "/stream/", "/api/stream", "/api/stream/", "/v2/iex/", "/api/v2/sip"]
)
def test_the_streams_are_routed_with_or_without_a_trailing_slash_and_under_api(path):
    data_stream = "v2" in path

    async def scenario():
        communicator = WebsocketCommunicator(application(), path)
        connected, _ = await communicator.connect(timeout=5)
        if not connected:
            return False, None
        # The market-data stream greets first; the trading stream answers `authenticate`.
        if not data_stream:
            auth = {"key_id": "BKNOPE", "secret_key": "nope"}
            await communicator.send_json_to({"action": "authenticate", "data": auth})
        first = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return True, first

    connected, first = async_to_sync(scenario)()
    assert connected, path
    if data_stream:
        assert first == [{"T": "success", "msg": "connected"}]
    else:
        assert first["stream"] == "authorization"
        assert first["data"]["status"] == "unauthorized"


def application():
    from brokerage.asgi import application as app

    return app


def test_assets_carry_their_listing_exchange_and_filter_by_it(alice, key_client):
    make_stock("ACME", "100.00", exchange="NASDAQ")
    make_stock("BIGCO", "50.00", exchange="NYSE")
    make_stock("FUND", "40.00", exchange="ARCA")
    client = key_client(alice)
    nasdaq = TypeAdapter(list[Asset]).validate_python(
        client.get("/v2/assets?exchange=NASDAQ").json()
    )
    assert [(a.symbol, a.exchange) for a in nasdaq] == [("ACME", "NASDAQ")]
    everything = client.get("/v2/assets").json()
    assert {a["symbol"]: a["exchange"] for a in everything} == {
        "ACME": "NASDAQ",
        "BIGCO": "NYSE",
        "FUND": "ARCA",
    }
    assert client.get("/v2/assets?exchange=OTC").json() == []
    assert Asset(**client.get("/v2/assets/FUND").json()).exchange == "ARCA"


def test_the_shipped_universe_lists_the_featured_stocks_where_they_are_listed(db):
    from marketdata.services import universe_load

    universe_load(everything=True)
    listed = dict(Stock.objects.values_list("symbol", "exchange"))
    assert listed["AAPL"] == "NASDAQ" and listed["SPY"] == "ARCA" and listed["QQQ"] == "NASDAQ"
    assert set(listed.values()) <= set(Stock.Exchange.values)
    assert "NYSE" in listed.values()


def test_an_unfillable_fok_answers_the_order_canceled_with_nothing_traded(
    alice, bob, key_client, acme
):
    give_shares(bob, acme, 10)
    place(bob, acme, "sell", 3, "100.00")
    body = {
        "symbol": "ACME",
        "qty": 5,
        "side": "buy",
        "type": "limit",
        "limit_price": 100,
        "time_in_force": "fok",
    }
    client = key_client(alice)
    response = client.post("/v2/orders", body, format="json")
    assert response.status_code == 200, response.content
    order = Order(**response.json())
    assert order.status == "canceled" and order.filled_qty == "0"
    assert order.canceled_at is not None
    # It is kept, as an unfilled IOC is: readable by id, and nothing was reserved or traded.
    assert Order(**client.get(f"/v2/orders/{order.id}").json()).status == "canceled"
    account = client.get("/v2/account").json()
    assert account["cash"] == "100000" and account["buying_power"] == "100000"
    resting = OrderRow.objects.get(user=bob)
    assert resting.status == "new" and resting.filled_qty == 0


def test_an_unfilled_ioc_and_fok_market_orders_answer_alike(alice, key_client, acme):
    client = key_client(alice)
    statuses = []
    for tif in ("ioc", "fok"):
        response = client.post("/v2/orders", {**MARKET_BUY, "time_in_force": tif}, format="json")
        assert response.status_code == 200, response.content
        statuses.append(response.json()["status"])
    assert statuses == ["canceled", "canceled"]


def test_v1_keeps_refusing_an_unfillable_fok(alice, key_client, acme):
    body = {
        "symbol": "ACME",
        "qty": "5",
        "side": "buy",
        "type": "limit",
        "limit_price": "100.00",
        "time_in_force": "fok",
    }
    response = key_client(alice).post("/api/v1/orders", body, format="json")
    assert response.status_code == 422 and response.json()["code"] == "fok_not_fillable"
    assert not OrderRow.objects.exists()


def test_watchlists_by_name_read_replace_add_and_delete(alice, bob, key_client, acme):
    make_stock("BETA", "50.00")
    client = key_client(alice)
    created = client.post("/v2/watchlists", {"name": "tech", "symbols": ["ACME"]}, format="json")
    assert created.status_code == 200, created.content
    key_client(bob).post("/v2/watchlists", {"name": "tech", "symbols": ["BETA"]}, format="json")

    read = client.get("/v2/watchlists:by_name?name=tech")
    assert read.status_code == 200, read.content
    watchlist = Watchlist(**read.json())
    assert watchlist.id == Watchlist(**created.json()).id
    assert [a.symbol for a in watchlist.assets] == ["ACME"]

    added = client.post("/v2/watchlists:by_name?name=tech", {"symbol": "BETA"}, format="json")
    assert [a["symbol"] for a in added.json()["assets"]] == ["ACME", "BETA"]
    replaced = client.put(
        "/api/v2/watchlists:by_name?name=tech",
        {"name": "chips", "symbols": ["BETA"]},
        format="json",
    )
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["name"] == "chips"
    assert [a["symbol"] for a in replaced.json()["assets"]] == ["BETA"]
    assert client.get("/v2/watchlists:by_name?name=tech").status_code == 404
    assert client.delete("/v2/watchlists:by_name?name=chips").status_code == 204
    assert client.get("/v2/watchlists").json() == []
    # Bob's list of the same name was never touched.
    assert key_client(bob).get("/v2/watchlists:by_name?name=tech").status_code == 200


def test_a_watchlist_by_an_unknown_or_missing_name_is_refused_in_alpacas_shape(alice, key_client):
    client = key_client(alice)
    missing = client.get("/v2/watchlists:by_name?name=nope")
    assert missing.status_code == 404 and missing.json()["reason"] == "watchlist_not_found"
    unnamed = client.get("/v2/watchlists:by_name")
    assert unnamed.status_code == 422 and unnamed.json()["reason"] == "invalid_name"


@pytest.mark.parametrize("leg", ["stop_loss", "take_profit"])
def test_a_bracket_leg_without_an_order_class_is_refused_by_its_own_name(
    alice, key_client, acme, leg
):
    body = {**MARKET_BUY, leg: {"stop_price": "90", "limit_price": "110"}}
    response = key_client(alice).post("/v2/orders", body, format="json")
    assert response.status_code == 422
    data = response.json()
    assert data["reason"] == "unsupported_order_class" and list(data["fields"]) == [leg]
    assert data["message"].startswith(f"{leg} is not supported") and "simple" not in data["message"]
    assert not OrderRow.objects.exists()


def test_a_limit_outside_the_band_says_the_allowed_range_and_staff_can_widen_it(
    alice, key_client, acme
):
    from trading.services import stock_update

    body = {**MARKET_BUY, "type": "limit", "limit_price": 50, "time_in_force": "gtc"}
    client = key_client(alice)
    refused = client.post("/v2/orders", body, format="json")
    assert refused.status_code == 422
    data = refused.json()
    assert data["reason"] == "price_outside_band"
    assert "$90.00" in data["message"] and "$110.00" in data["message"]
    assert data["fields"]["limit_price"] == ["Between $90.00 and $110.00."]

    stock_update(stock_id=acme.id, band_pct="0.6")
    accepted = client.post("/v2/orders", body, format="json")
    assert accepted.status_code == 200, accepted.content
    assert Order(**accepted.json()).limit_price == "50"


def test_new_stocks_start_with_the_configured_band(alice, key_client, settings):
    from decimal import Decimal

    settings.PRICE_BAND_PCT = Decimal("0.30")
    wide = make_stock("WIDE", "100.00")
    assert wide.band_pct == Decimal("0.30")
    body = {**MARKET_BUY, "symbol": "WIDE", "type": "limit", "limit_price": 75}
    accepted = key_client(alice).post("/v2/orders", {**body, "time_in_force": "gtc"}, format="json")
    assert accepted.status_code == 200, accepted.content
    refused = key_client(alice).post(
        "/v2/orders", {**body, "limit_price": 65, "time_in_force": "gtc"}, format="json"
    )
    assert refused.status_code == 422
    assert refused.json()["fields"]["limit_price"] == ["Between $70.00 and $130.00."]
