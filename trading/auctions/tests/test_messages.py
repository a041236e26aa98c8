"""Every auction message type, built from a real auction, has exactly the keys its TypedDict
declares (required ones always, optional ones only as declared), nested shapes too."""

from __future__ import annotations

import json
from typing import get_args, get_origin, get_type_hints, is_typeddict

import pytest
from django.utils import timezone

from trading.auctions import messages
from trading.auctions.services.bids import auction_bid_place

pytestmark = pytest.mark.django_db


def assert_shape(value: dict, shape: type) -> None:
    keys = set(value)
    assert shape.__required_keys__ <= keys, (shape.__name__, shape.__required_keys__ - keys)
    assert keys <= shape.__required_keys__ | shape.__optional_keys__, (shape.__name__, keys)
    for key, hint in get_type_hints(shape).items():  # NotRequired[...] already unwrapped
        if key not in value:
            continue
        if is_typeddict(hint):
            assert_shape(value[key], hint)
        elif get_origin(hint) is list and is_typeddict(get_args(hint)[0]):
            for item in value[key]:
                assert_shape(item, get_args(hint)[0])
    json.dumps(value)  # what goes on the wire: strings and numbers, no Decimal


def test_every_auction_message_has_its_declared_shape(lot, alice, bob):
    auction_bid_place(user=alice, auction_id=lot.pk, max_price="95.00")
    bid = auction_bid_place(user=bob, auction_id=lot.pk, max_price="97.00")
    lot.refresh_from_db()
    labels = messages.bidder_labels(lot)
    now = timezone.now()

    public = messages.auction_message(lot, "bid", lot.seq, bid, labels)
    assert_shape(public, messages.AuctionMessage)
    assert public["bid"]["bidder"] == "bidder 2" and public["auction"]["min_next_bid"]
    assert_shape(
        messages.auction_message(lot, "extended", lot.seq, None, {}), messages.AuctionMessage
    )
    for event in ("leading", "outbid", "won", "lost", "settled"):
        standing = messages.auction_standing(lot, event, bid)
        assert_shape(standing, messages.AuctionStandingMessage)
    assert messages.auction_standing(lot, "settled", bid)["max_price"] is None  # the seller's
    assert_shape(messages.auction_snapshot_message(lot, now), messages.AuctionSnapshotMessage)
    index = messages.auctions_index_message([lot], now)
    assert_shape(index, messages.AuctionSnapshotMessage)
    for state in index["auctions"]:
        assert_shape(state, messages.AuctionPayload)
    assert "reserve_price" not in public["auction"]  # hidden from everyone
