"""The server internals `streams.transport` relies on, asserted on the installed versions.

Each test names one thing the module's docstrings say they rely on. An upgrade of daphne,
autobahn, Twisted or Channels that changes one fails here, loudly; without these the streams
would silently fall back (every frame framed again per socket) or stop closing slow clients.
"""

from __future__ import annotations

import asyncio
import functools
import inspect

from autobahn.websocket.protocol import PreparedMessage, WebSocketProtocol
from channels.consumer import AsyncConsumer
from channels.layers import get_channel_layer
from channels.sessions import InstanceSessionWrapper
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol as DaphneWebSocketProtocol
from twisted.internet.abstract import FileDescriptor

from streams import transport
from streams.consumers import StreamConsumer


def _source(fn) -> str:
    return inspect.getsource(fn)


def test_daphne_hands_the_application_its_queue_and_a_partial_of_handle_reply():
    source = _source(Server.create_application)
    assert "receive=input_queue.get" in source
    assert "send=partial(self.handle_reply, protocol)" in source
    assert "asyncio.Queue()" in source


def test_the_protocol_is_found_behind_daphnes_send_and_not_behind_another_servers():
    protocol = object()
    send = functools.partial(Server.handle_reply, protocol)
    assert transport.daphne_protocol(send) is protocol
    assert transport.daphne_protocol(lambda message: None) is None


def test_the_inbox_is_found_behind_a_queues_get():
    queue: asyncio.Queue = asyncio.Queue()
    assert transport.inbox_of(queue.get) is queue
    assert transport.inbox_of(lambda: None) is None


def test_daphnes_websocket_protocol_is_autobahns_with_what_the_fast_path_reads():
    assert issubclass(DaphneWebSocketProtocol, WebSocketProtocol)
    assert isinstance(WebSocketProtocol.STATE_OPEN, int)
    made = _source(WebSocketProtocol._connectionMade)
    assert "self._perMessageCompress = None" in made
    assert "self.send_queue = deque()" in made
    assert callable(WebSocketProtocol.sendPreparedMessage)


def test_autobahn_sends_an_uncompressed_prepared_frame_as_one_transport_write():
    prepared = _source(WebSocketProtocol.sendPreparedMessage)
    assert "self._perMessageCompress is None" in prepared
    assert "self.sendData(preparedMsg.payloadHybi)" in prepared
    assert "self.transport.write(" in _source(WebSocketProtocol.sendData)


def test_a_prepared_message_is_built_with_these_arguments_and_holds_the_whole_frame():
    parameters = list(inspect.signature(PreparedMessage.__init__).parameters)
    assert parameters == ["self", "payload", "isBinary", "applyMask", "doNotCompress"]
    frame = transport.prepared_frame('{"type":"pong"}')
    assert frame.payloadHybi == b"\x81\x0f" + b'{"type":"pong"}'
    assert transport.prepared_frame('{"type":"pong"}') is frame  # built once


class _Reactor:
    def addWriter(self, writer) -> None:
        pass

    def removeWriter(self, writer) -> None:
        pass


class _Descriptor(FileDescriptor):
    connected = 1

    def __init__(self, takes: int) -> None:
        super().__init__(reactor=_Reactor())
        self.takes = takes

    def writeSomeData(self, data) -> int:
        return min(self.takes, len(data))


def test_twisted_buffers_what_the_kernel_did_not_take_where_the_backlog_reads_it():
    descriptor = _Descriptor(takes=10)
    descriptor.write(b"x" * 100)
    assert transport.transport_backlog(descriptor) == 100  # queued, not yet written
    descriptor.doWrite()
    assert transport.transport_backlog(descriptor) == 90  # 10 taken, 90 left unread
    descriptor.write(b"y" * 5)
    assert transport.transport_backlog(descriptor) == 95
    assert transport.transport_backlog(object()) is None


def test_the_servers_send_is_found_beneath_the_session_middleware():
    async def send(message) -> None:
        pass

    wrapper = InstanceSessionWrapper({"type": "websocket", "cookies": {}}, send)
    assert wrapper.real_send is send
    assert transport.server_send(wrapper.send) is send
    assert transport.server_send(send) is send


def test_a_stream_socket_opens_no_layer_channel_of_its_own():
    assert "channel_layer_alias" in _source(AsyncConsumer.__call__)
    assert get_channel_layer(StreamConsumer.channel_layer_alias) is None
