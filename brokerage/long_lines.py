"""A request line longer than the HTTP parser takes gets a 414, not a dropped connection.

Twisted's HTTP channel (under daphne) reads the request line with `LineReceiver`, whose
documented hook `lineLengthExceeded` by default closes the connection without a word; a
client sent a 16 KB URL deserves "414 URI Too Long". Headers over Twisted's total already get
its 400.
"""

from __future__ import annotations

from twisted.web import http

_BODY = b'{"code": "uri_too_long", "message": "The request line is longer than 16384 bytes."}'
ANSWER = (
    b"HTTP/1.1 414 URI Too Long\r\nContent-Type: application/json\r\nConnection: close\r\n"
    + f"Content-Length: {len(_BODY)}\r\n\r\n".encode()
    + _BODY
)


def _too_long(self, line: bytes) -> None:
    self.transport.write(ANSWER)
    self.transport.loseConnection()


def install() -> None:
    """Answer over-long request lines with ANSWER (once per process, idempotent)."""
    http.HTTPChannel.lineLengthExceeded = _too_long  # type: ignore[method-assign]
