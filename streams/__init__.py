"""The pieces behind the `/ws/` endpoint (`streams.consumers.StreamConsumer`).

- `relay`: this process's one listener per channel-layer group, fanning each message out to
  the local sockets subscribed to it;
- `sequencer`: the reorder buffer of one sequenced stream (book or trades), pure;
- `limits`: the per-socket rate limit and the count of recent client errors, pure.

The consumer itself speaks the protocol and authenticates; these know nothing of either.
"""
