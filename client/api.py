"""The REST API of a Brokerage server (`/api/v1/`), one method per endpoint.

Answers are the server's JSON as dicts, with money and quantities left as the strings the
server sent (parse them with `decimal.Decimal`, never float). Every failure is a
`ClientError`: `ApiError` for an answer in the server's error shape (`code`, `message`,
`fields`), `Unreachable` when no answer came.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import requests

from client.config import Config, websocket_url

TIMEOUT_SECONDS = 15
TIME_IN_FORCE = ("day", "gtc", "ioc", "fok")


class ClientError(Exception):
    """Something the user can act on, said in one line; `kind` picks the command's exit code."""

    kind = "refused"

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if kind is not None:
            self.kind = kind


class Unreachable(ClientError):
    """No HTTP answer: the server is down, the address is wrong or it timed out."""

    kind = "unreachable"


class ApiError(ClientError):
    """The server answered with an error: its stable `code`, its `message` and bad `fields`."""

    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message, kind="auth" if status == 401 else "refused")
        self.status = status
        self.code = code
        self.fields = fields or {}

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "fields": self.fields,
        }


def decimal(value: str | None) -> Decimal | None:
    """A money or quantity string from the server as a Decimal (None stays None)."""
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ClientError(f"the server sent {value!r} where a number belongs") from None


class Client:
    """A session with one server and (optionally) one API key."""

    def __init__(
        self,
        base_url: str,
        key_id: str = "",
        secret_key: str = "",
        *,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key_id = key_id
        self.secret_key = secret_key
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "brokerage-client/0.1"
        if key_id:
            self.session.headers["APCA-API-KEY-ID"] = key_id
            self.session.headers["APCA-API-SECRET-KEY"] = secret_key

    @classmethod
    def from_config(cls, config: Config | None = None) -> Client:
        config = config or Config.load()
        return cls(config.base_url, config.key_id, config.secret_key)

    @property
    def ws_url(self) -> str:
        """The websocket endpoint beside this API (`http` → `ws`, `https` → `wss`)."""
        return websocket_url(self.base_url)

    # ------------------------------------------------------------------ transport
    def request(self, method: str, path: str, *, params=None, json=None) -> Any:
        url = f"{self.base_url}/api/v1/{path}"
        try:
            response = self.session.request(
                method, url, params=params, json=json, timeout=self.timeout
            )
        except requests.Timeout:
            raise Unreachable(f"{self.base_url} did not answer within {self.timeout:g}s") from None
        except requests.ConnectionError:
            raise Unreachable(
                f"cannot connect to {self.base_url} (is the server running?)"
            ) from None
        except requests.RequestException as exc:
            raise Unreachable(f"cannot reach {self.base_url}: {exc}") from None
        if response.status_code == 204:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            if isinstance(body, dict) and "message" in body:
                raise ApiError(
                    response.status_code,
                    str(body.get("code") or "error"),
                    str(body["message"]),
                    body.get("fields") or {},
                )
            raise ApiError(
                response.status_code,
                "http_error",
                f"{method} {url} answered {response.status_code} {response.reason}",
            )
        if body is None:
            raise ApiError(
                response.status_code,
                "bad_response",
                f"{url} did not answer JSON (not a Brokerage server?)",
            )
        return body

    def _symbol_path(self, symbol: str, tail: str = "") -> str:
        return f"stocks/{quote(symbol.strip().upper(), safe='')}{tail}"

    def _about_symbol(self, symbol: str, method: str, tail: str = "", **kwargs) -> Any:
        """A request on a symbol's resource, where a 404 means the symbol is not listed."""
        try:
            return self.request(method, self._symbol_path(symbol, tail), **kwargs)
        except ApiError as exc:
            if exc.status == 404:
                raise ApiError(
                    404, "unknown_symbol", f"There is no stock {symbol.strip().upper()!r}."
                ) from None
            raise

    # ------------------------------------------------------------------ market data
    def stock(self, symbol: str) -> dict:
        return self._about_symbol(symbol, "GET")

    def book(self, symbol: str, depth: int = 10) -> dict:
        return self._about_symbol(symbol, "GET", "/book", params={"depth": depth})

    def trades(self, symbol: str, limit: int = 20) -> list[dict]:
        return self._about_symbol(symbol, "GET", "/trades", params={"limit": limit})

    def candles(self, symbol: str, interval: str = "1m", **params) -> dict:
        return self._about_symbol(
            symbol, "GET", "/candles", params={"interval": interval, **params}
        )

    def quote(self, symbol: str) -> dict:
        """The reference price and day figures with the best bid and ask of the book."""
        stock = self.stock(symbol)
        book = self.book(symbol, depth=1)
        best_bid = book["bids"][0] if book["bids"] else None
        best_ask = book["asks"][0] if book["asks"] else None
        return {
            "symbol": stock["symbol"],
            "name": stock["name"],
            "price": stock["reference_price"],
            "change": stock["change"],
            "change_pct": stock["change_pct"],
            "bid": best_bid and best_bid["price"],
            "bid_size": best_bid and best_bid["qty"],
            "ask": best_ask and best_ask["price"],
            "ask_size": best_ask and best_ask["qty"],
            "volume": stock["volume"],
            "tradable": stock["tradable"],
            "stale": stock["price_stale"],
            "time": stock["price_updated_at"],
        }

    # ------------------------------------------------------------------ account
    def account(self) -> dict:
        return self.request("GET", "account")

    def positions(self) -> list[dict]:
        return self.request("GET", "positions")

    def fills(self, *, limit: int = 100, symbol: str | None = None) -> list[dict]:
        params: dict[str, Any] = {"limit": limit}
        if symbol:
            params["symbol"] = symbol.upper()
        return self.request("GET", "fills", params=params)

    # ------------------------------------------------------------------ orders
    def orders(
        self, *, status: str = "open", symbols: list[str] | None = None, limit: int = 50
    ) -> list[dict]:
        params: dict[str, Any] = {"status": status, "limit": limit}
        if symbols:
            params["symbols"] = ",".join(s.upper() for s in symbols)
        return self.request("GET", "orders", params=params)

    def order(self, order_id: str) -> dict:
        return self.request("GET", f"orders/{quote(order_id, safe='')}")

    def place_order(
        self,
        *,
        symbol: str,
        qty: str | int | Decimal,
        side: str,
        limit_price: str | Decimal | None = None,
        time_in_force: str = "day",
        client_order_id: str | None = None,
    ) -> dict:
        """A limit order when `limit_price` is given, else a market order."""
        body: dict[str, Any] = {
            "symbol": symbol.upper(),
            "qty": str(qty),
            "side": side,
            "type": "market" if limit_price is None else "limit",
            "time_in_force": time_in_force,
        }
        if limit_price is not None:
            body["limit_price"] = str(limit_price)
        if client_order_id:
            body["client_order_id"] = client_order_id
        return self.request("POST", "orders", json=body)

    def buy(self, symbol: str, qty, limit_price=None, **kwargs) -> dict:
        return self.place_order(
            symbol=symbol, qty=qty, side="buy", limit_price=limit_price, **kwargs
        )

    def sell(self, symbol: str, qty, limit_price=None, **kwargs) -> dict:
        return self.place_order(
            symbol=symbol, qty=qty, side="sell", limit_price=limit_price, **kwargs
        )

    def cancel(self, order_id: str) -> None:
        self.request("DELETE", f"orders/{quote(order_id, safe='')}")

    def cancel_all(self) -> list[dict]:
        return self.request("DELETE", "orders")

    def replace(
        self,
        order_id: str,
        *,
        qty: str | int | Decimal | None = None,
        limit_price: str | Decimal | None = None,
        time_in_force: str | None = None,
    ) -> dict:
        """A new order in place of an open one (it loses its time priority)."""
        body = {
            key: str(value)
            for key, value in (
                ("qty", qty),
                ("limit_price", limit_price),
                ("time_in_force", time_in_force),
            )
            if value is not None
        }
        return self.request("PATCH", f"orders/{quote(order_id, safe='')}", json=body)

    # ----------------------------------------------------------------------- auctions
    def auctions(self, status: str = "live") -> list[dict]:
        return self.request("GET", "auctions", params={"status": status})

    def auction(self, auction_id: int) -> dict:
        return self.request("GET", f"auctions/{int(auction_id)}")

    def auction_bids(self, auction_id: int) -> list[dict]:
        return self.request("GET", f"auctions/{int(auction_id)}/bids")

    def bid(self, auction_id: int, max_price) -> dict:
        """Bid a maximum price per share on an auction's whole lot."""
        return self.request(
            "POST", f"auctions/{int(auction_id)}/bids", json={"max_price": str(max_price)}
        )

    def my_bids(self) -> list[dict]:
        return self.request("GET", "auctions/bids")
