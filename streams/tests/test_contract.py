"""The stream contract: every `/ws/` message type, its TypedDict, its JSON Schema and the README.

Every message type is rendered here through the server's own builders (the snapshots a
subscriber gets, and what a committed order or bid publishes) and validated against
`docs/stream-messages.schema.json`, the schema the terminal client's tests load too.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from core import streams as core_streams
from marketdata import streams as market_streams
from marketdata.selectors import Candle
from streams import contract, protocol, snapshots
from trading.alerts.models import PriceAlert
from trading.auctions.services.bids import auction_bid_place
from trading.auctions.services.create import auction_create
from trading.tests.factories import give_shares, make_stock, place

SCHEMA = json.loads(contract.SCHEMA_PATH.read_text())
README = Path(contract.SCHEMA_PATH).parents[1] / "README.md"


def validate(message: dict) -> None:
    """Raise unless `message` is valid under its type's definition."""
    definition = {"$ref": f"#/$defs/{message['type']}", "$defs": SCHEMA["$defs"]}
    Draft202012Validator(definition).validate(message)


def _typeddicts() -> dict[str, type]:
    """Every definition of the schema and its TypedDict: message types and their parts."""
    found = dict(contract.MESSAGE_TYPES)
    seen = list(found.values())
    while seen:
        for hint in contract._hints(seen.pop()).values():
            for inner in _nested(hint):
                if inner.__name__ not in found:
                    found[inner.__name__] = inner
                    seen.append(inner)
    return found


def _nested(hint) -> list[type]:
    from typing import get_args

    inner = contract._unwrap(hint)
    if contract._is_typeddict(inner):
        return [inner]
    return [t for arg in get_args(inner) for t in _nested(arg)]


def test_the_schema_file_is_the_one_the_message_types_render():
    assert contract.SCHEMA_PATH.read_text() == contract.render(), (
        "docs/stream-messages.schema.json is out of date: manage.py stream_schema --write"
    )


def test_every_typeddicts_keys_are_its_definitions_properties():
    typeddicts = _typeddicts()
    assert set(typeddicts) == set(SCHEMA["$defs"])
    for name, tp in typeddicts.items():
        definition = SCHEMA["$defs"][name]
        assert set(contract._hints(tp)) == set(definition["properties"]), name
        assert contract.required_keys(tp) == set(definition["required"]), name
        assert definition["additionalProperties"] is False, name


def test_the_schema_is_valid_and_refuses_a_message_with_a_key_it_does_not_define():
    Draft202012Validator.check_schema(SCHEMA)
    pong = protocol.pong_message(None)
    validate(pong)
    with pytest.raises(Exception, match="Additional properties"):
        validate({**pong, "extra": 1})


def _published(monkeypatch) -> list[dict]:
    """The client messages of every layer event published from now on."""
    sent: list[dict] = []

    def capture(sends):
        for _group, event in sends:
            sent.extend(json.loads(part["text"]) for part in event["parts"].values())

    monkeypatch.setattr(core_streams, "publish", capture)
    monkeypatch.setattr(market_streams, "publish", capture)
    return sent


def _market_messages(alice, bob, monkeypatch, capture_on_commit) -> list[dict]:
    stock = make_stock("ZCT", "10.00")
    give_shares(bob, stock, 10)
    # Armed directly (the service refuses a level already reached): the trades fire it.
    PriceAlert.objects.create(user=alice, stock=stock, direction="below", level="10.00")
    published = _published(monkeypatch)
    with capture_on_commit(execute=True):
        place(bob, stock, "sell", 5, "10.00")
        place(bob, stock, "sell", 5, "10.10")
        place(alice, stock, "buy", 3, "10.00")
        place(alice, stock, "buy", 2, "9.90")
    bar = Candle(
        start=datetime(2026, 1, 5, 15, 0, tzinfo=UTC),
        open=Decimal("10.00"),
        high=Decimal("10.10"),
        low=Decimal("9.90"),
        close=Decimal("10.00"),
        volume=3,
        trades=1,
        source="trades",
    )
    market_streams.publish_candle(market_streams.candle_payload("ZCT", bar))
    return [
        *published,
        snapshots.book_snapshot("ZCT", 10),
        snapshots.trades_snapshot("ZCT"),
        snapshots.orders_snapshot(alice.pk, None),
        snapshots.quote("ZCT"),
    ]


def _auction_messages(alice, bob, monkeypatch, capture_on_commit) -> list[dict]:
    make_stock("ZCA", "50.00")
    published = _published(monkeypatch)
    with capture_on_commit(execute=True):
        lot = auction_create(seller=None, symbol="ZCA", qty=10, reserve_price="48.00")
        auction_bid_place(user=alice, auction_id=lot.pk, max_price="49.00")
        auction_bid_place(user=bob, auction_id=lot.pk, max_price="49.50")
    return [
        *published,
        snapshots.auction_snapshot(str(lot.pk)),
        snapshots.auction_snapshot(None),
    ]


def _control_messages() -> list[dict]:
    return [
        protocol.hello_message("alice", "session"),
        protocol.hello_message(None, None),
        protocol.subscribed_message("subscribed", "book", "ZCT", 7),
        protocol.subscribed_message("unsubscribed", "orders", None, None),
        protocol.authenticated_message("alice", "a1"),
        protocol.pong_message(None),
        protocol.error_message("unknown_symbol", "symbol must name a listed stock.", 3),
    ]


@pytest.mark.django_db
def test_every_message_type_rendered_by_its_builder_is_valid_under_the_schema(
    alice, bob, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    messages = [
        *_control_messages(),
        *_market_messages(alice, bob, monkeypatch, django_capture_on_commit_callbacks),
        *_auction_messages(alice, bob, monkeypatch, django_capture_on_commit_callbacks),
    ]

    for message in messages:
        validate(message)
    assert {m["type"] for m in messages} == set(contract.MESSAGE_TYPES)


def _readme_table() -> dict[str, tuple[set[str], set[str]]]:
    """The README's "Messages the server sends": type -> (required fields, optional ones)."""
    text = README.read_text()
    section = text.split("### Messages the server sends", 1)[1].split("\n\n", 3)[2]
    rows = {}
    for line in section.splitlines()[2:]:
        kind, _, fields = (cell.strip() for cell in line.strip("|").split("|"))
        optional = set(re.findall(r"\[`([^`]+)`\]", fields))
        every = set(re.findall(r"`([^`]+)`", fields))
        rows[kind.strip("`")] = (every - optional, optional)
    return rows


def test_the_readme_documents_every_message_type_with_the_schemas_fields():
    documented = _readme_table()
    assert set(documented) == set(contract.MESSAGE_TYPES)
    for kind, (required, optional) in documented.items():
        definition = SCHEMA["$defs"][kind]
        assert required == set(definition["required"]), kind
        assert optional == set(definition["properties"]) - set(definition["required"]), kind
