"""Heavy market-data reads are bounded and run in their own lane, apart from order entry."""

from __future__ import annotations

import threading

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator

from brokerage.asgi import application
from trading.tests.factories import make_stock

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_read_over_its_budget_is_refused_whole(alice, key_client, settings):
    for symbol in ("ACME", "BOLT"):
        make_stock(symbol, "100.00")
    client = key_client(alice)
    assert client.get("/api/v2/stocks/snapshots?symbols=ACME,BOLT").status_code == 200

    settings.READ_BUDGET_MS = 0
    answer = client.get("/api/v2/stocks/snapshots?symbols=ACME,BOLT")
    assert answer.status_code == 422
    assert answer.json()["code"] == 40010001
    assert "fewer symbols" in answer.json()["message"]


def test_market_data_reads_run_in_their_own_lane_and_orders_in_the_main_one(alice, monkeypatch):
    from accounts.services import api_key_create
    from alpaca_adapter.apis import account as apis
    from alpaca_adapter.apis import market_data as data

    make_stock("ACME", "100.00")
    key, secret = api_key_create(user=alice, name="lane")
    seen: dict[str, str] = {}
    snapshots, account = data.SnapshotsApi.get, apis.AccountApi.get

    def spy(name, real):
        def get(self, request, *args, **kwargs):
            seen[name] = threading.current_thread().name
            return real(self, request, *args, **kwargs)

        return get

    monkeypatch.setattr(data.SnapshotsApi, "get", spy("snapshots", snapshots))
    monkeypatch.setattr(apis.AccountApi, "get", spy("account", account))
    headers = [
        (b"host", b"testserver"),
        (b"apca-api-key-id", key.key_id.encode()),
        (b"apca-api-secret-key", secret.encode()),
    ]

    async def ask(path):
        answer = await HttpCommunicator(application, "GET", path, headers=headers).get_response(
            timeout=10
        )
        return answer["status"]

    assert async_to_sync(ask)("/api/v2/stocks/snapshots?symbols=ACME") == 200
    assert async_to_sync(ask)("/api/v2/account") == 200
    assert seen["snapshots"].startswith("heavy-reads")
    assert not seen["account"].startswith("heavy-reads")
