"""A publish whose reply was lost (Redis ran it, then the client timed out) is sent again with
the same seqs: a client of the private orders stream never meets a seq with no message."""

from __future__ import annotations

import json
import random

import pytest
import redis

from core import streams


@pytest.fixture
def user_id() -> int:
    return random.randint(10**9, 2 * 10**9)  # nobody else's seq counter


@pytest.fixture
def first_reply_lost(monkeypatch):
    """The first pipeline Redis runs answers too late: the client sees a timeout."""
    original = redis.client.Pipeline.execute
    calls = []

    def execute(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        calls.append(len(calls))
        if len(calls) == 1:
            raise redis.TimeoutError("Timeout reading from socket")
        return result

    monkeypatch.setattr(redis.client.Pipeline, "execute", execute)
    return calls


def _sends(user_id: int, count: int) -> list:
    group = streams.orders_group(user_id)
    return [
        (group, streams.event("orders", None, {"orders": {"type": "orders", "n": n}}))
        for n in range(count)
    ]


def test_a_batch_retried_after_a_lost_reply_keeps_its_seqs(user_id, first_reply_lost):
    streams._publisher._send_retrying(_sends(user_id, 2))

    seq, missed, complete = streams.orders_replay(user_id, 0)

    assert len(first_reply_lost) >= 2  # it was tried again
    assert seq == 2  # not 4: the retry did not take new numbers
    assert [json.loads(text)["seq"] for text in missed] == [1, 2]
    assert [json.loads(text)["n"] for text in missed] == [0, 1]
    assert complete


def test_the_next_batch_goes_on_from_there(user_id):
    streams._publisher._send_retrying(_sends(user_id, 2))
    streams._publisher._send_retrying(_sends(user_id, 1))

    seq, missed, _ = streams.orders_replay(user_id, 0)

    assert seq == 3
    assert [json.loads(text)["seq"] for text in missed] == [1, 2, 3]
