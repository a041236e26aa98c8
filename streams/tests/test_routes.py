"""An unknown websocket path is refused at the handshake, not answered with a server error."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from brokerage.asgi import application


def test_an_unknown_websocket_path_is_refused_cleanly():
    async def scenario():
        communicator = WebsocketCommunicator(application, "/no/such/stream")
        connected, code = await communicator.connect(timeout=5)
        await communicator.wait()
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert not connected and code in (403, 1000, None)
