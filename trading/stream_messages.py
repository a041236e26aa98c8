"""The types of trading's stream messages: one TypedDict per client message and per part.

Built by `trading.broadcast` (and read back by the `/ws/` consumer and the Alpaca streams;
the auctions' are beside their builders, in `trading.auctions.messages`);
`docs/stream-messages.schema.json` is the same contract for clients, rendered from these by
`streams.contract` and checked by `streams/tests/test_contract.py`.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

Side = Literal["buy", "sell"]


class TradePayload(TypedDict):
    """A trade with the parties' own fields (order ids, fees), as built in the transaction."""

    symbol: str
    seq: int
    price: str
    qty: str
    maker_side: Side
    taker_side: Side
    time: str
    buy_order_id: str | None
    sell_order_id: str | None
    auction_id: int | None
    buyer_fee: str | None
    seller_fee: str | None


class PublicTrade(TypedDict):
    """A trade as the public tape shows it."""

    symbol: str
    seq: int
    price: str
    qty: str
    maker_side: Side
    taker_side: Side
    time: str
    auction_id: int | None


class OrderPayload(TypedDict):
    id: str
    client_order_id: str | None
    symbol: str
    side: Side
    type: str
    time_in_force: str
    qty: str
    filled_qty: str
    filled_avg_price: str | None
    limit_price: str | None
    status: str
    reason: str
    created_at: str
    updated_at: str
    filled_at: str | None
    canceled_at: str | None
    expired_at: str | None
    replaced_at: str | None
    replaces: str | None
    fees: str | None


class SnapshotLevel(TypedDict):
    price: str
    qty: str
    orders: int


class DeltaLevel(TypedDict):
    """A changed level: `qty` its new total ("0": gone), `seq` its own book sequence number."""

    seq: int
    side: Side
    price: str
    qty: str
    orders: int


class BookSnapshotMessage(TypedDict):
    type: Literal["book.snapshot"]
    depth: int
    symbol: str
    seq: int
    bids: list[SnapshotLevel]
    asks: list[SnapshotLevel]


class BookDeltaMessage(TypedDict):
    type: Literal["book.delta"]
    symbol: str
    first_seq: int
    seq: int
    levels: list[DeltaLevel]
    ts: float


class TradesMessage(TypedDict):
    type: Literal["trades"]
    symbol: str
    first_seq: int
    seq: int
    trades: list[PublicTrade]
    ts: float


class DayPayload(TypedDict):
    volume: int
    high: str | None
    low: str | None


class TradesSnapshotMessage(TypedDict):
    type: Literal["trades.snapshot"]
    symbol: str
    seq: int
    trades: list[PublicTrade]
    day: DayPayload


class Fill(TypedDict):
    trade_seq: int
    side: Side
    price: str
    qty: str
    fee: str | None
    liquidity: Literal["maker", "taker"]
    time: str


class OrderEvent(TypedDict):
    event: str
    order: OrderPayload
    fills: list[Fill]


class OrdersMessage(TypedDict):
    type: Literal["orders"]
    symbol: str
    events: list[OrderEvent]
    ts: float
    position_qty: NotRequired[int]
    # Given by the publisher (`core.streams`): the user's private sequence number.
    seq: NotRequired[int]


class OrdersSnapshotMessage(TypedDict):
    type: Literal["orders.snapshot"]
    seq: int
    orders: list[OrderPayload]
    since_seq: int | None
    # Private messages (`orders`, `auction.standing`) as they were sent.
    missed: list[dict[str, Any]]
    missed_complete: bool
