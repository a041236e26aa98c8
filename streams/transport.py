"""The one module that touches the internals of the websocket server stack.

daphne, autobahn, Twisted and Channels offer no public way to do three things the streams need:
write one prepared frame to a thousand sockets, see how many bytes a client has left unread,
and send beneath Channels' session middleware. What each function below relies on is named in
its docstring, and `streams/tests/test_transport.py` asserts that the installed versions still
have it, so an upgrade that changes one of them fails there, loudly, instead of here, silently
(a slow fan-out, or a client that stops reading and is never closed).

Under another server (Channels' test communicator, uvicorn) every function falls back to the
plain ASGI `send` and reports no backlog.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from autobahn.websocket.protocol import PreparedMessage
from channels.sessions import InstanceSessionWrapper


def server_send(send: Any) -> Any:
    """The server's own `send` beneath Channels' session middleware (`AuthMiddlewareStack`).

    Relies on: `channels.sessions.InstanceSessionWrapper.send` being a bound method of the
    wrapper, which keeps the `send` it wraps as `real_send`. The session wrapper acts only on
    `http.response.start` (saving the session, setting its cookie), never on a websocket frame;
    yet it reads the lazy session on every message it passes up, and it hides daphne's
    transport from `send_backlog`.
    """
    while isinstance(getattr(send, "__self__", None), InstanceSessionWrapper):
        send = send.__self__.real_send
    return send


def daphne_protocol(send: Any) -> Any | None:
    """The websocket protocol (autobahn's, under daphne) behind a server's `send`, or None.

    Relies on: daphne's `Server.create_application` handing the application
    `partial(self.handle_reply, protocol)` as its `send`.
    """
    return send.args[0] if isinstance(send, functools.partial) and send.args else None


def transport_backlog(transport: Any) -> int | None:
    """Bytes written to a socket that its client has not taken yet, or None when it is not one.

    Relies on: Twisted's `FileDescriptor` buffering what the kernel would not take, without
    bound, in `dataBuffer` (from `offset`) and `_tempData` (`_tempDataLen` bytes).
    """
    buffered = getattr(transport, "dataBuffer", None)
    if buffered is None:
        return None
    return len(buffered) - getattr(transport, "offset", 0) + getattr(transport, "_tempDataLen", 0)


def send_backlog(send: Any) -> int | None:
    """`transport_backlog` of the socket behind a server's `send`."""
    return transport_backlog(getattr(daphne_protocol(send), "transport", None))


def inbox_of(receive: Any) -> asyncio.Queue | None:
    """The queue the server puts this socket's frames in, or None under another server.

    Relies on: daphne (and Channels' test communicator) handing the consumer `queue.get` of an
    `asyncio.Queue` as its `receive`.
    """
    queue = getattr(receive, "__self__", None)
    return queue if isinstance(queue, asyncio.Queue) else None


@functools.lru_cache(maxsize=64)
def prepared_frame(text: str) -> PreparedMessage:
    """The websocket frame of a stream message, built once per process and written as it is to
    every socket (autobahn's `prepareMessage` for broadcasts): daphne would otherwise encode
    and frame the same text again for each of a thousand sockets. The relay hands every socket
    the same `text` object, so the lookup hashes it once.

    Relies on: `PreparedMessage(payload, isBinary, applyMask, doNotCompress)` and its
    `payloadHybi` (the whole unmasked frame)."""
    return PreparedMessage(text.encode(), isBinary=False, applyMask=False, doNotCompress=False)


class SocketWriter:
    """One socket's frames, written the fastest way its server allows.

    Relies on (autobahn's `WebSocketProtocol`, under daphne): `state` and `STATE_OPEN`,
    `sendPreparedMessage`, and the two things that method checks before its plain path,
    `_perMessageCompress` (None without compression) and `send_queue` (empty when nothing is
    queued before the frame); then `transport.write` of the frame's bytes, as `sendData` does.
    """

    def __init__(self, send: Any) -> None:
        self.send = server_send(send)
        protocol = daphne_protocol(self.send)
        self.transport: Any | None = getattr(protocol, "transport", None)
        # The protocol's `sendPreparedMessage` under daphne (autobahn), else None.
        self.protocol = (
            protocol if callable(getattr(protocol, "sendPreparedMessage", None)) else None
        )

    def backlog(self) -> int | None:
        """Bytes this socket's client has left unread (None: not known under this server)."""
        return transport_backlog(self.transport)

    def write_now(self, text: str) -> bool:
        """Write a text frame at once if the socket is open under daphne; False otherwise
        (not, or no longer, open, or another server: `send_text` decides)."""
        protocol = self.protocol
        if protocol is None or protocol.state != protocol.STATE_OPEN:
            return False
        frame = prepared_frame(text)
        if protocol._perMessageCompress is None and not protocol.send_queue:
            # autobahn's own path for a frame with nothing queued before it (`sendData`) is
            # this one write, after which it formats debug-log arguments whether or not debug
            # is on: a sixth of a fan-out's time, skipped here.
            protocol.transport.write(frame.payloadHybi)
        else:
            protocol.sendPreparedMessage(frame)
        return True

    async def send_text(self, text: str) -> None:
        await self.send({"type": "websocket.send", "text": text})
