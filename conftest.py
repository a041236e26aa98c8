"""Shared test fixtures: named personas and API clients."""

from __future__ import annotations

import pytest

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def make_user(db):
    """Sign a user up the way the site does, so they have an account with starting cash."""

    from accounts.services import user_sign_up

    def make(username: str, **kwargs):
        return user_sign_up(username=username, password=PASSWORD, **kwargs)

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def charlie(make_user):
    return make_user("charlie")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def key_client(db):
    """An API client authenticated by a fresh API key of the given user (the way bots call)."""

    from rest_framework.test import APIClient

    from accounts.services import api_key_create

    def make(user) -> APIClient:
        key, secret = api_key_create(user=user, name="test bot")
        client = APIClient()
        client.credentials(HTTP_APCA_API_KEY_ID=key.key_id, HTTP_APCA_API_SECRET_KEY=secret)
        return client

    return make
