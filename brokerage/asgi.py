"""ASGI entry point: HTTP goes to Django, websockets to the Channels router."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")

# Django must be set up before the websocket routing imports models.
django.setup(set_prefix=False)

from brokerage.handler import SyncChainHandler  # noqa: E402

django_asgi_app = SyncChainHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import WebsocketDenier  # noqa: E402
from django.conf import settings  # noqa: E402

from brokerage import long_lines  # noqa: E402
from brokerage.health import web_heartbeat_start  # noqa: E402
from brokerage.proxies import TrustedProxyMiddleware, parse_networks  # noqa: E402
from brokerage.routing import websocket_urlpatterns  # noqa: E402

# A web process (daphne) says it is alive, for /healthz; `runstack` may run several.
web_heartbeat_start()
long_lines.install()


class BrowserOriginValidator:
    """Check the Origin of browser handshakes; let programs without one in.

    A browser's Origin must be this site itself, scheme, host and port (the handshake's own
    Host, itself in ALLOWED_HOSTS, over ws for http and wss for https, as a proxy's
    X-Forwarded-Proto says), or one of CSRF_TRUSTED_ORIGINS: a page on another port or over
    the other scheme is another origin and must not read a user's stream with their cookies.
    Trading bots send no Origin, and authenticate with an API key instead.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        headers = {name.lower(): value for name, value in scope.get("headers", [])}
        origin = headers.get(b"origin")
        if origin is not None and not self.allowed(scope, headers, origin.decode("latin-1")):
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)

    @staticmethod
    def allowed(scope, headers: dict[bytes, bytes], origin: str) -> bool:
        from django.conf import settings
        from django.http.request import split_domain_port, validate_host

        origin = origin.strip().lower().rstrip("/")
        if origin in {o.lower().rstrip("/") for o in settings.CSRF_TRUSTED_ORIGINS}:
            return True
        host = headers.get(b"host", b"").decode("latin-1").strip().lower()
        domain, _ = split_domain_port(host)
        if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
            return False
        forwarded = headers.get(b"x-forwarded-proto", b"").decode("latin-1").strip().lower()
        secure = scope.get("scheme") == "wss" or forwarded == "https"
        scheme, default_port = ("https", ":443") if secure else ("http", ":80")
        return origin.removesuffix(default_port) == f"{scheme}://{host.removesuffix(default_port)}"


application = TrustedProxyMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            # The URLRouter stub wants a URLPattern subclass of its own that path() never returns.
            "websocket": BrowserOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))  # type: ignore[arg-type]
            ),
        }
    ),
    parse_networks(settings.TRUSTED_PROXIES),
)
