"""The OpenAPI schema at /api/schema/ says what /api/v1 answers (issue 12, finding 12)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from trading.models import Trade
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(alice, key_client):
    response = key_client(alice).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in node and len(node["allOf"]) == 1:
        return _resolve(schema, node["allOf"][0])
    return node


def _param(schema, path, name, method="get"):
    params = schema["paths"][path][method]["parameters"]
    return next(p["schema"] for p in params if p["name"] == name)


def _request_body(schema, path, method="post"):
    media = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    return _resolve(schema, media["schema"])


def test_stocks_is_documented_as_the_envelope_it_answers(schema, alice, key_client):
    make_stock("ACME", "100.00")
    documented = _resolve(
        schema,
        schema["paths"]["/api/v1/stocks"]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ],
    )
    answered = key_client(alice).get("/api/v1/stocks").json()

    assert documented["type"] == "object"
    assert (
        set(documented["properties"])
        == set(answered)
        == {
            "count",
            "next",
            "previous",
            "results",
        }
    )
    assert answered["results"][0]["symbol"] == "ACME"


@pytest.mark.parametrize("status", ["400", "401", "403", "404", "422", "429", "500"])
def test_every_operation_documents_its_error_answers_in_the_one_shape(schema, status):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "fields"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            response = operation["responses"][status]
            ref = response["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/Error", (method, path, status)
    limited = schema["paths"]["/api/v1/orders"]["post"]["responses"]["429"]
    assert "Retry-After" in limited["headers"]


def test_side_type_and_time_in_force_are_enums(schema):
    body = _request_body(schema, "/api/v1/orders")

    def enum(name):
        return set(_resolve(schema, body["properties"][name])["enum"])

    assert enum("side") == {"buy", "sell"}
    assert enum("type") == {"market", "limit"}
    assert enum("time_in_force") == {"day", "gtc", "ioc", "fok"}
    assert body["additionalProperties"] is False


@pytest.mark.parametrize(
    ("path", "name", "low", "high"),
    [
        ("/api/v1/orders", "limit", 1, 500),
        ("/api/v1/fills", "limit", 1, 500),
        ("/api/v1/stocks", "limit", 1, 1000),
        ("/api/v1/stocks/{symbol}/book", "depth", 1, 1000),
        ("/api/v1/stocks/{symbol}/trades", "limit", 1, 1000),
        ("/api/v1/auctions/bids", "limit", 1, 500),
    ],
)
def test_the_ranges_of_limit_and_depth_are_declared(schema, path, name, low, high):
    declared = _param(schema, path, name)
    assert (declared["type"], declared["minimum"], declared["maximum"]) == ("integer", low, high)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/orders?limit=",
        "/api/v1/orders?until=",
        "/api/v1/fills?limit=",
        "/api/v1/fills?until=",
        "/api/v1/stocks?limit=",
        "/api/v1/stocks/ACME/book?depth=",
        "/api/v1/stocks/ACME/trades?limit=",
        "/api/v1/stocks/ACME/candles?interval=",
        "/api/v1/auctions?status=",
        "/api/v1/auctions/bids?limit=",
    ],
)
def test_an_empty_parameter_is_a_400_not_the_default(alice, key_client, url):
    make_stock("ACME", "100.00")
    response = key_client(alice).get(url)

    assert response.status_code == 400
    body = response.json()
    name = re.search(r"\?(\w+)=", url).group(1)
    assert body["code"] == "invalid_request"
    assert body["fields"] == {name: ["May not be empty."]}


def test_an_unknown_member_of_an_order_is_refused_not_ignored(alice, key_client):
    make_stock("ACME", "100.00")
    body = {"symbol": "ACME", "qty": "1", "side": "buy", "type": "limit", "limit_price": "99"}
    response = key_client(alice).post(
        "/api/v1/orders", {**body, "time_in_forse": "gtc"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"time_in_forse": ["Not a field of this request."]}


def _trade_history(alice, bob, count):
    """`count` fills of alice's, some sharing one timestamp, as a busy second would."""
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, count)
    for _ in range(count):
        place(bob, acme, "sell", 1, "100.00")
        place(alice, acme, "buy", 1, "100.00")
    same = timezone.now() - timedelta(hours=1)
    Trade.objects.filter(pk__in=Trade.objects.order_by("pk").values("pk")[:3]).update(
        executed_at=same
    )


def test_fills_page_back_past_the_newest_500_with_page_token(alice, bob, key_client):
    _trade_history(alice, bob, 7)
    client = key_client(alice)

    seen, token = [], None
    while True:
        query = {"limit": 2, **({"page_token": token} if token else {})}
        page = client.get("/api/v1/fills", query).json()
        if not page:
            break
        seen += [fill["id"] for fill in page]
        token = page[-1]["id"]

    newest_first = client.get("/api/v1/fills", {"limit": 500}).json()
    assert seen == [fill["id"] for fill in newest_first]
    assert len(seen) == len(set(seen)) == 7
    assert "page_token" in {p["name"] for p in _schema_params(client, "/api/v1/fills")}


def test_fills_until_and_after_bound_the_period(alice, bob, key_client):
    _trade_history(alice, bob, 5)
    client = key_client(alice)
    cut = (timezone.now() - timedelta(minutes=30)).isoformat()

    older = client.get("/api/v1/fills", {"until": cut}).json()
    newer = client.get("/api/v1/fills", {"after": cut}).json()

    assert (len(older), len(newer)) == (3, 2)


def test_an_unknown_page_token_is_refused(alice, key_client):
    response = key_client(alice).get("/api/v1/fills", {"page_token": "ACME-999"})

    assert response.status_code == 422
    assert response.json()["code"] == "unknown_page_token"


def _schema_params(client, path):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    return schema["paths"][path]["get"]["parameters"]
