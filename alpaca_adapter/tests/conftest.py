"""Fixtures for the Alpaca-protocol tests: a live daphne, and SDK clients with real API keys."""

from __future__ import annotations

import pytest

# The live daphne and the private channel layer of the stream tests, reused as they are.
from streams.tests.conftest import (  # noqa: F401
    _fresh_symbol_cache,
    _private_channel_layer,
    daphne,
)


@pytest.fixture
def api_key():
    """(key id, secret) of a fresh API key of `user`."""
    from accounts.services import api_key_create

    def make(user) -> tuple[str, str]:
        key, secret = api_key_create(user=user, name="alpaca-py")
        return key.key_id, secret

    return make


@pytest.fixture
def trading_client(daphne, api_key):  # noqa: F811
    """alpaca-py's TradingClient for `user`, unchanged apart from `url_override`."""
    from alpaca.trading.client import TradingClient

    def make(user) -> TradingClient:
        key_id, secret = api_key(user)
        return TradingClient(key_id, secret, paper=True, url_override=f"{daphne.http}/api")

    return make
