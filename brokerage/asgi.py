"""ASGI entry point: HTTP goes to Django, websockets to the Channels router."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")

# Django must be set up before the websocket routing imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from brokerage.routing import websocket_urlpatterns  # noqa: E402


class BrowserOriginValidator:
    """Check the Origin of browser handshakes against ALLOWED_HOSTS; let programs without one in.

    Browsers always send Origin, so a page on another site still cannot open a socket with the
    user's cookies; trading bots send none, and authenticate with an API key instead.
    """

    def __init__(self, app):
        self.app = app
        self.checked = AllowedHostsOriginValidator(app)

    async def __call__(self, scope, receive, send):
        has_origin = any(name == b"origin" for name, _ in scope.get("headers", []))
        handler = self.checked if has_origin else self.app
        return await handler(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The URLRouter stub wants a URLPattern subclass of its own that path() never returns.
        "websocket": BrowserOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))  # type: ignore[arg-type]
        ),
    }
)
