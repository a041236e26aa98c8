"""Against a real daphne, from a real client: a flood on a socket is closed with 4008, and a
request line over 16 KB is answered 414 instead of a dropped connection."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
import websockets

from streams.tests.conftest import Daphne

pytestmark = pytest.mark.integration


def test_a_websocket_flood_is_closed_with_4008_by_a_real_server(daphne: Daphne):
    async def flood() -> tuple[int | None, int]:
        # A burst of pings, then read: the server takes them faster than it can answer,
        # closes at its queue bound, and drops the rest. (A client that went on sending after
        # the close would see its connection reset instead: TCP discards the close frame when
        # the server shuts a socket with unread data.)
        async with websockets.connect(daphne.ws, max_queue=None, open_timeout=5) as ws:
            # 2,000 pings framed by the library's sans-I/O protocol and written in one go
            # (about 50 KB): the server reads them at once, so it closes with nothing unread.
            for _ in range(2000):
                ws.protocol.send_text(json.dumps({"action": "ping"}).encode())
            ws.transport.write(b"".join(ws.protocol.data_to_send()))
            answers = 0
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
                    answers += 1
            except websockets.ConnectionClosed as closed:
                return (closed.rcvd.code if closed.rcvd else None), answers
        return None, answers

    code, answers = asyncio.run(flood())
    assert code == 4008
    assert answers < 2000  # not one answer a ping: the flood was cut off


def test_a_request_line_over_16_kb_gets_a_414(daphne: Daphne):
    with socket.create_connection(("127.0.0.1", daphne.port), timeout=5) as conn:
        conn.sendall(b"GET /api/v1/stocks?q=" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 414 ")
    assert b'"code": "uri_too_long"' in answer
