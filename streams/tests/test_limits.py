"""The per-socket rate limit and error count, on a clock the test holds."""

from __future__ import annotations

import pytest

from streams.limits import RecentErrors, TokenBucket


def test_a_burst_is_allowed_then_the_steady_rate():
    bucket = TokenBucket(burst=3, per_second=2.0, now=100.0)

    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(100.5)  # half a second earns one token
    assert not bucket.take(100.5)


def test_an_idle_client_saves_up_no_more_than_the_burst():
    bucket = TokenBucket(burst=2, per_second=10.0, now=0.0)

    assert [bucket.take(60.0) for _ in range(3)] == [True, True, False]


def test_errors_older_than_the_window_are_forgotten():
    errors = RecentErrors(window=60.0)

    assert [errors.add(t) for t in (0.0, 10.0, 20.0)] == [1, 2, 3]
    assert errors.add(65.0) == 3  # the one at 0 has left the window
    assert errors.add(200.0) == 1


def test_a_fast_client_is_slowed_down_not_closed(monkeypatch):
    """Over the rate, messages are dropped with one notice; it is not a protocol error."""
    import asyncio

    from asgiref.sync import async_to_sync

    from streams import consumers
    from streams.tests.conftest import open_socket

    monkeypatch.setattr(consumers.StreamConsumer, "rate_burst", 5)
    monkeypatch.setattr(consumers.StreamConsumer, "rate_per_second", 0.5)

    async def scenario():
        async with open_socket() as ws:
            for _ in range(40):
                await ws.send({"action": "ping"})
            replies = []
            while not await ws.nothing(timeout=0.3):
                replies.append(await ws.receive())
            closed = ws.communicator.output_queue.qsize()
            await asyncio.sleep(2.1)  # a token again
            await ws.send({"action": "ping"})
            return replies, closed, await ws.receive()

    replies, closed, later = async_to_sync(scenario)()
    assert [r["type"] for r in replies] == ["pong"] * 5 + ["error"]
    assert replies[-1]["code"] == "rate_limited"
    assert closed == 0
    assert later["type"] == "pong"


def _daphne_send(sent: list):
    """A send shaped like daphne's, `partial(Server.handle_reply, protocol)`, and its transport."""
    import functools
    import types

    transport = types.SimpleNamespace(dataBuffer=b"", offset=0, _tempDataLen=0)

    async def handle_reply(protocol, message):  # daphne's Server.handle_reply
        sent.append(message)

    return functools.partial(handle_reply, types.SimpleNamespace(transport=transport)), transport


def _session_wrapped(send, resolved: bool = True):
    """`send` as a consumer under `AuthMiddlewareStack` gets it: Channels' session wrapper's."""
    from asgiref.sync import async_to_sync
    from channels.sessions import InstanceSessionWrapper

    wrapper = InstanceSessionWrapper({"type": "websocket", "cookies": {}}, send)
    if resolved:
        async_to_sync(wrapper.resolve_session)()  # an anonymous session, as for a bot
    return wrapper.send


def _consumer(send):
    from streams import consumers

    consumer = consumers.StreamConsumer()
    consumer.base_send = send
    consumer.fresh_state()
    return consumer


@pytest.mark.parametrize("stack", ["bare", "behind the session middleware"])
def test_a_client_that_stops_reading_is_closed_with_4009_and_counted(monkeypatch, stack):
    """Finding 7: past the backlog limit the socket is closed, not buffered without bound; as
    deployed, the consumer's send is the session middleware's, which must not hide daphne's."""
    from asgiref.sync import async_to_sync

    from streams import consumers
    from streams.transport import send_backlog

    monkeypatch.setattr(consumers, "MAX_SEND_BACKLOG_BYTES", 1000)
    sent: list = []
    send, transport = _daphne_send(sent)
    consumer = _consumer(send if stack == "bare" else _session_wrapped(send))
    before = consumers.slow_consumers_closed

    async def scenario():
        await consumer.frame("small")
        transport._tempDataLen = 5000  # the client stopped reading: Twisted buffers for it
        await consumer.frame("one too many")
        await consumer.frame("and another")

    async_to_sync(scenario)()
    assert sent == [
        {"type": "websocket.send", "text": "small"},
        {"type": "websocket.close", "code": 4009},
    ]
    assert consumers.slow_consumers_closed == before + 1
    assert send_backlog(lambda message: None) is None  # another server: no check


def test_stream_frames_go_past_the_session_middleware_without_reading_the_session():
    from asgiref.sync import async_to_sync

    sent: list = []
    send, _ = _daphne_send(sent)
    # Never resolved: any read of this session raises, as the wrapper's own send would.
    consumer = _consumer(_session_wrapped(send, resolved=False))

    async_to_sync(consumer.frame)("a book delta")

    assert sent == [{"type": "websocket.send", "text": "a book delta"}]


def _open_protocol(written: list, prepared: list | None = None):
    """daphne's websocket protocol (autobahn's) as far as a fan-out sees it: open, nothing
    queued, no compression; `written` gets what reaches its Twisted transport."""
    import collections
    import types

    transport = types.SimpleNamespace(
        dataBuffer=b"", offset=0, _tempDataLen=0, write=written.append
    )
    return types.SimpleNamespace(
        STATE_OPEN=3,
        state=3,
        transport=transport,
        send_queue=collections.deque(),
        _perMessageCompress=None,
        sendPreparedMessage=(prepared if prepared is not None else []).append,
    )


def test_a_stream_message_is_framed_once_and_the_frame_written_to_every_open_socket():
    import functools

    from asgiref.sync import async_to_sync

    async def handle_reply(protocol, message):  # never reached for an open socket
        raise AssertionError("framed again by daphne")

    first, second = [], []
    sockets = [
        _consumer(_session_wrapped(functools.partial(handle_reply, _open_protocol(written))))
        for written in (first, second)
    ]
    text = '{"type":"book.delta","seq":7}'

    async def fan_out():
        for consumer in sockets:
            await consumer.frame(text)

    async_to_sync(fan_out)()

    assert len(first) == len(second) == 1 and first[0] is second[0]
    assert first[0] == b"\x81" + bytes([len(text)]) + text.encode()


def test_a_frame_behind_queued_ones_or_to_compress_goes_through_autobahn():
    import functools

    from asgiref.sync import async_to_sync

    async def handle_reply(protocol, message):
        raise AssertionError("framed again by daphne")

    written, prepared = [], []
    queued = _open_protocol(written, prepared)
    queued.send_queue.append((b"earlier", False))  # order on the wire is autobahn's to keep
    compressing = _open_protocol(written, prepared)
    compressing._perMessageCompress = object()

    async def fan_out():
        for protocol in (queued, compressing):
            await _consumer(functools.partial(handle_reply, protocol)).frame("a trade")

    async_to_sync(fan_out)()

    assert written == [] and [m.payload for m in prepared] == [b"a trade", b"a trade"]


def test_a_socket_no_longer_open_gets_its_frame_through_daphnes_own_send():
    import functools

    from asgiref.sync import async_to_sync

    replies, written = [], []

    async def handle_reply(protocol, message):  # daphne's: it drops frames to closed sockets
        replies.append(message)

    protocol = _open_protocol(written)
    protocol.state = 4  # closing
    consumer = _consumer(functools.partial(handle_reply, protocol))

    async_to_sync(consumer.frame)("late")

    assert written == [] and replies == [{"type": "websocket.send", "text": "late"}]
