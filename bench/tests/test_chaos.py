"""bench/chaos.py's accounting: what counts as lost, phantom and unknown (no stack started)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bench import chaos
from bench.chaos import DUPLICATE, OK, REFUSED, UNKNOWN, UNSENT, Cancel, OrderRow, Placement


def placement(coid: str, *tries: str, ack: dict | None = None) -> Placement:
    return Placement(coid, "BNCAA", "buy", 3, "100.05", list(tries), ack)


def row(order_id: str, status: str = "new", filled: int = 0, qty: int = 3) -> OrderRow:
    return OrderRow(order_id, "BNCAA", "buy", qty, Decimal("100.0500"), status, filled)


def ack(order_id: str, status: str = "new", filled: int = 0) -> dict:
    return {"id": order_id, "status": status, "filled_qty": str(filled)}


def test_an_acknowledged_order_in_the_database_is_neither_lost_nor_phantom():
    result = chaos.reconcile([placement("a", OK, ack=ack("1"))], [], {"a": row("1")})

    assert (result.attempted, result.acknowledged, result.lost, result.phantom) == (1, 1, [], [])


def test_an_acknowledged_order_missing_from_the_database_is_lost():
    result = chaos.reconcile([placement("a", UNKNOWN, OK, ack=ack("1"))], [], {})

    assert len(result.lost) == 1 and "not in the database" in result.lost[0]


def test_an_acknowledged_order_stored_otherwise_or_less_filled_is_lost():
    placements = [
        placement("a", OK, ack=ack("1")),
        placement("b", OK, ack=ack("2", "partially_filled", 2)),
        placement("c", OK, ack=ack("3", "filled", 3)),
    ]
    rows = {"a": row("1", qty=4), "b": row("2", "partially_filled", 1), "c": row("3", "new")}

    result = chaos.reconcile(placements, [], rows)

    assert len(result.lost) == 3


def test_an_order_filled_further_since_its_answer_is_not_lost():
    result = chaos.reconcile(
        [placement("a", OK, ack=ack("1", "partially_filled", 1))], [], {"a": row("1", "filled", 3)}
    )

    assert result.lost == []


def test_a_duplicate_after_a_lost_answer_is_acknowledged_and_must_exist():
    p = placement("a", UNKNOWN, DUPLICATE)

    assert p.outcome == "acknowledged"
    result = chaos.reconcile([p], [], {"a": row("1")})
    assert (result.lost, result.in_doubt, result.in_doubt_committed) == ([], 1, 1)
    assert len(chaos.reconcile([p], [], {}).lost) == 1


def test_a_refused_order_in_the_database_is_a_phantom():
    p = placement("a", REFUSED)

    assert p.outcome == "rejected"
    assert len(chaos.reconcile([p], [], {"a": row("1")}).phantom) == 1
    assert chaos.reconcile([p], [], {}).phantom == []


def test_a_request_never_sent_is_a_rejection_and_creates_nothing():
    p = placement("a", UNSENT, UNSENT)

    assert p.outcome == "rejected"
    assert len(chaos.reconcile([p], [], {"a": row("1")}).phantom) == 1


def test_a_lost_answer_is_unknown_either_way_even_if_a_retry_is_refused():
    # The retry's 403 may be the first try's own reservation: no proof of anything.
    placements = [placement("a", UNKNOWN), placement("b", UNKNOWN, REFUSED)]

    result = chaos.reconcile(placements, [], {"a": row("1")})

    assert [p.outcome for p in placements] == ["unknown", "unknown"]
    assert (result.unknown, result.unknown_found, result.lost, result.phantom) == (2, 1, [], [])


def test_an_acknowledged_cancel_of_an_order_not_canceled_is_lost():
    rows = {"a": row("1", "canceled"), "b": row("2", "new")}
    cancels = [Cancel("1", [OK]), Cancel("2", [UNKNOWN, OK]), Cancel("2", [UNKNOWN])]

    result = chaos.reconcile([], cancels, rows)

    assert (result.cancels, result.cancels_acknowledged, result.cancels_unknown) == (3, 2, 1)
    assert len(result.lost) == 1 and "2" in result.lost[0]


def test_an_order_no_client_sent_is_a_phantom():
    assert len(chaos.reconcile([], [], {}, strays=["chaos-x"]).phantom) == 1


def test_scenarios_are_chosen_by_name_and_unknown_ones_refused(capsys):
    args = chaos.parse_args(["--scenarios", "freeze-redis, kill-web", "--seconds", "5"])

    assert args.scenarios == ["freeze-redis", "kill-web"] and args.seconds == 5
    assert chaos.parse_args([]).scenarios == list(chaos.SCENARIOS)
    with pytest.raises(SystemExit):
        chaos.parse_args(["--scenarios", "kill-everything"])
    assert "kill-everything" in capsys.readouterr().err
