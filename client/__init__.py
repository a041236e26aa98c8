"""The Brokerage terminal client: a small library and the `brokerage` command.

It talks to a Brokerage server only over HTTP (`client.api`) and websockets (`client.stream`)
and imports nothing from the server's apps, so a bot author can copy it or install it alone.

    from client import Client
    api = Client.from_config()
    api.place_order(symbol="AAPL", qty="10", side="buy", limit_price="270.50")
"""

from client.api import ApiError, Client, ClientError, Unreachable
from client.config import Config

__all__ = ["ApiError", "Client", "ClientError", "Config", "Unreachable"]
