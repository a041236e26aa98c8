"""The client's address comes from the socket, or from X-Forwarded-For only behind a trusted
proxy; forged forwarding headers are dropped before Django, DRF or the lockout see them."""

from __future__ import annotations

from pathlib import Path

from brokerage.proxies import TrustedProxyMiddleware, client_address, parse_networks

LB = parse_networks(["10.0.0.0/24", "::1"])


def scope(peer: str, *headers: tuple[bytes, bytes]) -> dict:
    return {"type": "http", "client": (peer, 5555), "headers": list(headers)}


def test_a_client_cannot_choose_its_address_with_x_forwarded_for():
    app = TrustedProxyMiddleware(None, LB)
    forged = app.rewrite(
        scope("203.0.113.9", (b"x-forwarded-for", b"1.2.3.4"), (b"x-forwarded-proto", b"https"))
    )
    assert forged["client"][0] == "203.0.113.9"
    assert forged["headers"] == []  # neither the address nor "https" survives


def test_behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client():
    app = TrustedProxyMiddleware(None, LB)
    # The client wrote "6.6.6.6"; the load balancer appended the address it saw.
    seen = app.rewrite(scope("10.0.0.2", (b"x-forwarded-for", b"6.6.6.6, 198.51.100.7")))
    assert seen["client"] == ("198.51.100.7", 0)


def test_hops_that_are_our_own_proxies_are_skipped_and_junk_stops_the_walk():
    assert client_address("10.0.0.2", "198.51.100.7, 10.0.0.3", LB) == "198.51.100.7"
    assert client_address("10.0.0.2", "198.51.100.7, not-an-ip", LB) == "10.0.0.2"
    assert client_address("10.0.0.2", "10.0.0.5", LB) == "10.0.0.2"
    assert client_address("10.0.0.2", "[2001:db8::1]:443", LB) == "2001:db8::1"


def test_no_proxy_is_trusted_by_default(settings):
    assert settings.TRUSTED_PROXIES == []
    assert client_address("10.0.0.2", "1.2.3.4", parse_networks(settings.TRUSTED_PROXIES)) == (
        "10.0.0.2"
    )


def test_the_site_runs_behind_the_middleware_and_daphne_does_not_believe_the_header():
    from brokerage.asgi import application

    assert isinstance(application, TrustedProxyMiddleware)
    procfile = (Path(__file__).resolve().parents[2] / "Procfile").read_text()
    assert "--proxy-headers" not in procfile
