"""A minimal websocket consumer proving the ASGI stack and the channel layer work end to end."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class EchoConsumer(AsyncJsonWebsocketConsumer):
    """Sends every JSON message back through the channel layer, as {"type": "echo", ...}."""

    async def connect(self) -> None:
        await self.accept()

    async def receive_json(self, content, **kwargs) -> None:
        await self.channel_layer.send(self.channel_name, {"type": "echo.message", "data": content})

    async def echo_message(self, event) -> None:
        await self.send_json({"type": "echo", "data": event["data"]})
