"""Helpers for the stream tests: sockets on the real ASGI application and the real Redis layer."""

from __future__ import annotations

import contextlib
import copy
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import close_old_connections
from django.test import Client

from brokerage.asgi import application

BROWSER_HEADERS = [(b"host", b"testserver"), (b"origin", b"http://testserver")]


class Socket:
    """A connected test socket that reads JSON messages and can say what it did not get."""

    def __init__(self, communicator: WebsocketCommunicator, hello: dict) -> None:
        self.communicator = communicator
        self.hello = hello

    async def send(self, message: dict) -> None:
        await self.communicator.send_json_to(message)

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def receive(self, timeout: float = 5) -> dict:
        return await self.communicator.receive_json_from(timeout=timeout)

    async def receive_until(self, type_: str, timeout: float = 5) -> tuple[dict, list[dict]]:
        """The first message of `type_`, and the messages before it."""
        skipped = []
        while True:
            message = await self.receive(timeout)
            if message["type"] == type_:
                return message, skipped
            skipped.append(message)

    async def nothing(self, timeout: float = 0.5) -> bool:
        return await self.communicator.receive_nothing(timeout=timeout)

    async def subscribe(self, channel: str, symbol: str | None = None, **extra) -> list[dict]:
        """Subscribe and return the acknowledgement plus its snapshot, if the channel has one."""
        await self.send({"action": "subscribe", "channel": channel, "symbol": symbol, **extra})
        replies = [await self.receive()]
        assert replies[0]["type"] == "subscribed", replies
        if channel in ("book", "trades", "quotes", "orders"):
            replies.append(await self.receive())
        return replies


@contextlib.asynccontextmanager
async def open_socket(headers: list[tuple[bytes, bytes]] = ()) -> AsyncIterator[Socket]:
    communicator = WebsocketCommunicator(application, "/ws/", headers=[*BROWSER_HEADERS, *headers])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    try:
        hello = await communicator.receive_json_from(timeout=5)
        yield Socket(communicator, hello)
    finally:
        await communicator.disconnect()


def session_cookie(user) -> list[tuple[bytes, bytes]]:
    """The Cookie header of a browser signed in as `user`."""
    client = Client()
    client.force_login(user)
    return [(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


def api_key_headers(user) -> list[tuple[bytes, bytes]]:
    from accounts.services import api_key_create

    key, secret = api_key_create(user=user, name="stream bot")
    return [(b"apca-api-key-id", key.key_id.encode()), (b"apca-api-secret-key", secret.encode())]


def in_thread(fn):
    """Run blocking ORM code from a test's async code; its connection is closed afterwards
    (asgiref's wrapper cannot see the worker thread's connection to close it)."""

    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return database_sync_to_async(run)


# Other test runs may share this Redis: their users 1, 2, 3 and ours would share `orders.1`...
LAYER_PREFIX = f"asgi-test-{os.getpid()}"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Personas sign up with a password; the production hash costs ~0.3 s a user here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_channel_layer(settings):
    """Streams of this test run under a prefix of their own, in-process and in daphne alike."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"].setdefault("CONFIG", {})["prefix"] = LAYER_PREFIX
    settings.CHANNEL_LAYERS = layers  # channels resets its layers on the setting change
    yield


@pytest.fixture(autouse=True)
def _fresh_symbol_cache():
    """Symbols known to a previous test's (flushed) database are not known to this one."""
    from streams import snapshots

    snapshots._known_symbols.clear()
    yield
    snapshots._known_symbols.clear()


def place(user, stock, side: str, qty: int, price: str | None = None, tif: str = "gtc"):
    """Place an order through the service, as the API and the pages do."""
    from trading.services import order_place

    return order_place(
        user=user,
        symbol=stock.symbol,
        side=side,
        type="limit" if price is not None else "market",
        time_in_force=tif,
        qty=qty,
        limit_price=price,
    )


def rest_book(stock) -> dict:
    """The book as `GET /api/v1/stocks/{symbol}/book?depth=1000` answers it."""
    from trading.selectors import book_snapshot

    return book_snapshot(stock=stock, depth=1000)


# --------------------------------------------------------------------------- a real daphne
ROOT = Path(__file__).resolve().parents[2]


def database_url_for_children() -> str:
    """A DATABASE_URL naming the database this test runs on (the test database, not the real one)."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if connection.vendor == "postgresql":
        user = quote(db.get("USER") or "")
        password = quote(db.get("PASSWORD") or "")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}{db.get('HOST') or 'localhost'}{port}/{db['NAME']}"
    raise RuntimeError(f"no DATABASE_URL for {db['ENGINE']}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Daphne:
    """A daphne process serving `brokerage.asgi` on the test database and the test Redis."""

    def __init__(self, port: int | None = None, env: dict[str, str] | None = None) -> None:
        from django.conf import settings

        self.port = port or free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "brokerage.settings",
            "DATABASE_URL": database_url_for_children(),
            "REDIS_URL": settings.REDIS_URL,
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_DEBUG": "false",
            "API_RATE_LIMIT": "off",  # the load is the point, not the limit
            "WS_MAX_SOCKETS_PER_ADDRESS": "100000",  # every test client is 127.0.0.1
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_COOKIES": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "CHANNEL_LAYER_PREFIX": LAYER_PREFIX,
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - kept open for the process's life

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    def start(self, timeout: float = 30) -> Daphne:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "brokerage.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited at start-up:\n{self.output()}")
            try:
                if requests.get(f"{self.http}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"daphne did not come up in {timeout}s:\n{self.output()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-5000:]


@pytest.fixture
def daphne(transactional_db):
    server = Daphne()
    try:
        yield server.start()
    finally:
        server.stop()
        server.log.close()


class Bot:
    """A trader calling the REST API with an API key, as a bot would."""

    def __init__(self, server: Daphne, user) -> None:
        from accounts.services import api_key_create

        key, secret = api_key_create(user=user, name="e2e bot")
        self.user = user
        self.base = server.http
        self.headers = {"APCA-API-KEY-ID": key.key_id, "APCA-API-SECRET-KEY": secret}
        self.ws_headers = dict(self.headers)
        self.session = requests.Session()

    def order(self, symbol: str, side: str, qty: int, price: str | None = None) -> dict:
        body = {"symbol": symbol, "side": side, "qty": str(qty), "time_in_force": "gtc"}
        body.update({"type": "limit", "limit_price": price} if price else {"type": "market"})
        response = self.session.post(
            f"{self.base}/api/v1/orders", json=body, headers=self.headers, timeout=30
        )
        assert response.status_code in (200, 201, 403, 422), response.text
        return response.json()

    def book(self, symbol: str) -> dict:
        response = self.session.get(
            f"{self.base}/api/v1/stocks/{symbol}/book?depth=1000", headers=self.headers, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.json()
