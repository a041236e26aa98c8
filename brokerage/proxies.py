"""The client's address, from the socket or, only behind a trusted proxy, from X-Forwarded-For.

`TRUSTED_PROXIES` lists the addresses or networks (CIDR) of the load balancers in front of the
web processes; empty (the default) trusts none. A request whose peer is not trusted keeps its
peer's address and loses every `X-Forwarded-*` header it sent: a client cannot pick the address
that the log-in lockout, the rate limits and the per-address socket caps count it by, nor claim
https. Behind a trusted proxy the client is the rightmost X-Forwarded-For entry that is not
itself a trusted proxy (entries to its left were written by the client and prove nothing).

An ASGI middleware in front of HTTP and websockets alike, so daphne runs without
`--proxy-headers` (which believed the leftmost, client-written entry).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

FORWARDED_HEADERS = (b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"forwarded")


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """`10.0.0.5`, `10.0.0.0/24`, `::1`: raises ValueError on anything else (settings fail loud)."""
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: Any, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in net for net in networks)


def client_address(peer: str | None, forwarded_for: str | None, networks: tuple[Network, ...]):
    """The client's address as text: the peer, or behind trusted proxies the nearest
    untrusted X-Forwarded-For entry (None when the peer is unknown)."""
    peer_address = _address(peer) if peer else None
    if peer_address is None or not _trusted(peer_address, networks) or not forwarded_for:
        return peer
    for entry in reversed(forwarded_for.split(",")):
        hop = _address(entry)
        if hop is None:
            return peer  # junk in the chain: the last trusted hop is all that is known
        if not _trusted(hop, networks):
            return str(hop)
    return peer  # every hop a proxy of ours: the request started inside


class TrustedProxyMiddleware:
    """Sets `scope["client"]` to the real client and drops forged forwarding headers."""

    def __init__(self, app, networks: tuple[Network, ...] | None = None) -> None:
        self.app = app
        self._networks = networks

    @property
    def networks(self) -> tuple[Network, ...]:
        if self._networks is None:
            from django.conf import settings

            self._networks = parse_networks(settings.TRUSTED_PROXIES)
        return self._networks

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            scope = self.rewrite(scope)
        return await self.app(scope, receive, send)

    def rewrite(self, scope: dict) -> dict:
        client = scope.get("client")
        peer = client[0] if client else None
        headers = scope.get("headers", [])
        if _trusted(_address(peer) if peer else None, self.networks):
            forwarded = b",".join(v for k, v in headers if k.lower() == b"x-forwarded-for")
            real = client_address(peer, forwarded.decode("latin-1"), self.networks)
            if real != peer:
                return {**scope, "client": (real, 0)}
            return scope
        if any(k.lower() in FORWARDED_HEADERS for k, _ in headers):
            headers = [(k, v) for k, v in headers if k.lower() not in FORWARDED_HEADERS]
            return {**scope, "headers": headers}
        return scope


def client_ip(request) -> str:
    """The client's address for the log-in lockout (`AXES_CLIENT_IP_CALLABLE`): REMOTE_ADDR,
    which the middleware above has already made the real client's."""
    return request.META.get("REMOTE_ADDR", "")
