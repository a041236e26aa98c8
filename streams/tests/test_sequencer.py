"""The reorder buffer on its own: parts in, parts out in seq order, and when to start over."""

from __future__ import annotations

from streams.sequencer import Sequencer, Verdict


def part(first: int, last: int | None = None) -> dict:
    last = first if last is None else last
    return {"first_seq": first, "seq": last, "text": f"{first}..{last}"}


def started_at(seq: int, **kwargs) -> Sequencer:
    """A sequencer whose client has the snapshot at `seq`."""
    sequencer = Sequencer(**kwargs)
    assert sequencer.begin_snapshot()
    sequencer.end_snapshot(seq)
    assert list(sequencer.release()) == []
    return sequencer


def sent(sequencer: Sequencer, offered: dict | None = None) -> list[str]:
    return [p["text"] for p, _ in sequencer.release(offered)]


def test_parts_in_turn_are_sent_at_once():
    sequencer = started_at(4)

    assert sequencer.offer(part(5)) is Verdict.SEND
    assert sent(sequencer, part(5)) == ["5..5"]
    assert sequencer.offer(part(6, 8)) is Verdict.SEND
    assert sent(sequencer, part(6, 8)) == ["6..8"]
    assert sequencer.expected == 9
    assert not sequencer.waiting


def test_a_part_ahead_of_its_turn_is_held_then_released_after_the_missing_one():
    sequencer = started_at(4)

    assert sequencer.offer(part(7)) is Verdict.HOLD
    assert sequencer.offer(part(8, 9)) is Verdict.HOLD
    assert sequencer.waiting  # the gap clock runs

    assert sequencer.offer(part(5, 6)) is Verdict.SEND
    assert sent(sequencer, part(5, 6)) == ["5..6", "7..7", "8..9"]
    assert sequencer.expected == 10
    assert sequencer.pending == {}
    assert not sequencer.waiting  # nothing held: the clock stops


def test_a_release_stops_at_the_next_gap_and_keeps_waiting():
    sequencer = started_at(4)
    sequencer.offer(part(6))
    sequencer.offer(part(8))

    sequencer.offer(part(5))
    assert sent(sequencer, part(5)) == ["5..5", "6..6"]
    assert list(sequencer.pending) == [8]
    assert sequencer.waiting


def test_a_gap_that_does_not_fill_in_time_asks_for_a_fresh_snapshot():
    sequencer = started_at(4)
    sequencer.offer(part(6))

    assert sequencer.gap_timed_out()  # seq 5 was lost
    assert sequencer.hold()  # a snapshot must be read
    assert not sequencer.waiting
    assert sequencer.offer(part(7)) is Verdict.HOLD  # held while it is read, no clock
    assert not sequencer.waiting

    assert sequencer.begin_snapshot()
    sequencer.end_snapshot(6)  # the snapshot includes 5 and 6
    assert sent(sequencer) == ["7..7"]
    assert sequencer.expected == 8


def test_a_gap_filled_before_the_clock_rings_needs_no_snapshot():
    sequencer = started_at(4)
    sequencer.offer(part(6))
    sequencer.offer(part(5))
    sent(sequencer, part(5))

    assert not sequencer.gap_timed_out()


def test_too_much_held_behind_one_gap_asks_for_a_snapshot_at_once():
    sequencer = started_at(4, max_pending=2)

    assert sequencer.offer(part(6)) is Verdict.HOLD
    assert sequencer.offer(part(7)) is Verdict.HOLD
    assert sequencer.offer(part(8)) is Verdict.RESYNC


def test_duplicates_are_sent_once():
    sequencer = started_at(4)
    sequencer.offer(part(5))
    sent(sequencer, part(5))

    assert sequencer.offer(part(5)) is Verdict.DROP  # the same message delivered again

    sequencer.offer(part(7))
    sequencer.offer(part(7))  # and a held one, twice
    sequencer.offer(part(6))
    assert sent(sequencer, part(6)) == ["6..6", "7..7"]


def test_parts_already_in_the_snapshot_are_dropped():
    sequencer = Sequencer()
    sequencer.begin_snapshot()
    assert sequencer.offer(part(3)) is Verdict.HOLD  # arrived while the snapshot was read
    assert sequencer.offer(part(5)) is Verdict.HOLD
    sequencer.end_snapshot(4)

    assert sent(sequencer) == ["5..5"]
    assert sequencer.offer(part(2, 4)) is Verdict.DROP


def test_a_part_straddling_the_snapshot_comes_with_the_seq_the_client_lacks_from():
    sequencer = Sequencer()
    sequencer.begin_snapshot()
    sequencer.offer(part(3, 6))
    sequencer.end_snapshot(4)

    assert [(p["text"], expected) for p, expected in sequencer.release()] == [("3..6", 5)]
    assert sequencer.expected == 7


def test_parts_held_after_a_snapshot_wait_on_the_clock_for_their_gap():
    sequencer = Sequencer()
    sequencer.begin_snapshot()
    sequencer.offer(part(7))
    sequencer.end_snapshot(4)
    assert sent(sequencer) == []
    assert not sequencer.waiting

    sequencer.wait_for_gap()
    assert sequencer.waiting


def test_one_snapshot_read_at_a_time():
    sequencer = started_at(4)
    assert sequencer.begin_snapshot()

    assert not sequencer.begin_snapshot()
    assert not sequencer.hold()  # the read under way serves this request too
    sequencer.end_snapshot(9)
    assert sequencer.expected == 10


def test_a_failed_snapshot_keeps_everything_held():
    sequencer = started_at(4)
    sequencer.begin_snapshot()
    sequencer.end_snapshot(None)

    assert sequencer.offer(part(5)) is Verdict.HOLD
    assert sent(sequencer) == []
    assert not sequencer.syncing
