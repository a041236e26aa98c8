"""The `/ws/` endpoint (`streams.consumers.StreamConsumer`) and what every websocket shares.

- `protocol`: what a client sends and is answered, the control messages, the limits;
- `subscriptions`: one socket's subscriptions, their first snapshots and their seq order;
- `snapshots`: the snapshot reads, through the selectors;
- `access`: who holds a socket's private right, and its end (shared with the Alpaca streams);
- `guard`: the per-socket bounds of every endpoint (`/ws/`, `/stream`, `/v2/iex`);
- `relay`: this process's one listener per channel-layer group, fanning each message out to
  the local sockets subscribed to it;
- `sequencer`: the reorder buffer of one sequenced stream, pure;
- `limits`: the per-socket rate limit and the count of recent client errors, pure;
- `transport`: the one module that touches daphne/autobahn/Twisted/Channels internals;
- `contract`: every message type and its TypedDict; the JSON Schema clients share.

Doors only: no rule of the market lives here, and nothing here writes to the database.
"""
