"""The reorder buffer of one sequenced stream: one socket's `book` or `trades` of one symbol.

Pure: no sockets, no clock, no Django. The consumer offers it every part the relay hands over
and tells it when a snapshot is read; it answers what to do (send, hold, drop, resnapshot) and
releases, in seq order, the parts that are in turn. The gap clock is the consumer's: the
sequencer says when a wait begins (`waiting` turns true) and what to do when it ends
(`gap_timed_out`).

Publishers may reach Redis out of commit order (on_commit callbacks of different processes
race), so a part that arrives ahead of its turn is held until the gap before it fills. If the
gap does not fill in time (a message was lost), or too much piles up behind it, the stream
starts again from a fresh snapshot. A part is `{"first_seq", "seq", "text"}` (see
`core.streams`); `first_seq`..`seq` are contiguous per symbol.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any

Part = dict[str, Any]

# More parts than this waiting for one gap means it will not fill in time: resync at once.
MAX_PENDING = 200


class Verdict(enum.Enum):
    """What the consumer does with a part it offered."""

    SEND = "send"  # in turn: send it and whatever it unblocks (`release(part)`)
    HOLD = "hold"  # kept until its turn (a snapshot is being read, or a gap is open)
    DROP = "drop"  # already contained in the snapshot the client started from
    RESYNC = "resync"  # too much is held behind a gap: read a fresh snapshot now


class Sequencer:
    """Puts one stream's parts back in seq order, and says when to start over from a snapshot."""

    def __init__(self, *, max_pending: int = MAX_PENDING) -> None:
        self.max_pending = max_pending
        # The next seq the client must see; None until a snapshot is in (everything is held).
        self.expected: int | None = None
        # Parts that came early, by first_seq.
        self.pending: dict[int, Part] = {}
        # A gap is open and its clock runs (the consumer keeps the timer).
        self.waiting = False
        # A snapshot is being read.
        self.syncing = False

    def offer(self, part: Part) -> Verdict:
        """Take a part from the relay; a part in turn is not kept: pass it to `release`."""
        first, last = part["first_seq"], part["seq"]
        if self.expected is None:
            self.pending[first] = part  # a snapshot is being read: sorted out when it is in
            return Verdict.HOLD
        if last < self.expected:
            return Verdict.DROP
        if first > self.expected:
            self.pending[first] = part
            if len(self.pending) > self.max_pending:
                return Verdict.RESYNC
            self.waiting = True  # opens the gap clock, or leaves it running
            return Verdict.HOLD
        return Verdict.SEND

    def release(self, part: Part | None = None) -> Iterator[tuple[Part, int]]:
        """The parts now in turn, in order: `part` (a SEND) first, then the held ones it unblocks.

        Each comes with the seq the client expected before it: a part that starts below it
        straddles the snapshot, and only its items from that seq on are news to the client.
        Lazy on purpose: each is taken only when the previous one has been sent, so a resync
        begun meanwhile stops the release.
        """
        if part is not None:
            yield self._take(part)
        while self.pending and self.expected is not None:
            first = min(self.pending)
            held = self.pending[first]
            if held["seq"] < self.expected:
                del self.pending[first]
            elif first <= self.expected:
                del self.pending[first]
                yield self._take(held)
            else:
                break
        if not self.pending:
            self.waiting = False

    def _take(self, part: Part) -> tuple[Part, int]:
        expected = self.expected
        assert expected is not None
        self.expected = part["seq"] + 1
        return part, expected

    def wait_for_gap(self) -> None:
        """After a snapshot's release: parts still held wait for their gap, on the clock."""
        if self.pending:
            self.waiting = True

    def gap_timed_out(self) -> bool:
        """The gap clock rang: True if parts are still held (a message was lost: resync)."""
        self.waiting = False
        return bool(self.pending)

    def hold(self) -> bool:
        """Stop releasing until a fresh snapshot is in; True if one must be read for that
        (False when one is being read already: it serves this request too)."""
        self.waiting = False
        if self.syncing:
            return False
        self.expected = None
        return True

    def begin_snapshot(self) -> bool:
        """A snapshot read starts; False if one is under way (the caller then does nothing)."""
        if self.syncing:
            return False
        self.syncing, self.expected, self.waiting = True, None, False
        return True

    def end_snapshot(self, seq: int | None) -> None:
        """The snapshot read ended: at `seq` (then release what follows), or with no snapshot
        sent (failed, or the stream ended meanwhile): everything stays held."""
        self.syncing = False
        if seq is not None:
            self.expected = seq + 1
