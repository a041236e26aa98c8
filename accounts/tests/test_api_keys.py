import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_revoke
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

ENDPOINT = "/api/v1/stocks"


def _client_with(key_id: str, secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_APCA_API_KEY_ID=key_id, HTTP_APCA_API_SECRET_KEY=secret)
    return client


def test_a_good_key_authenticates(alice):
    key, secret = api_key_create(user=alice, name="bot")

    response = _client_with(key.key_id, secret).get(ENDPOINT)

    assert response.status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_wrong_secret_is_401_with_the_error_shape(alice):
    key, _ = api_key_create(user=alice, name="bot")

    response = _client_with(key.key_id, "not-the-secret").get(ENDPOINT)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response.json()["message"]
    assert "WWW-Authenticate" in response.headers


def test_a_revoked_key_is_401(alice):
    key, secret = api_key_create(user=alice, name="bot")
    api_key_revoke(user=alice, key_id=key.key_id)

    response = _client_with(key.key_id, secret).get(ENDPOINT)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_an_unknown_key_is_401():
    response = _client_with("BKNOSUCHKEY", "whatever").get(ENDPOINT)
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "fields"}


def test_a_key_id_without_a_secret_is_401(alice):
    key, _ = api_key_create(user=alice, name="bot")
    client = APIClient()
    client.credentials(HTTP_APCA_API_KEY_ID=key.key_id)
    response = client.get(ENDPOINT)
    assert response.status_code == 401


def test_no_credentials_at_all_is_401(api_client):
    response = api_client.get(ENDPOINT)
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_the_secret_is_stored_hashed(alice):
    key, secret = api_key_create(user=alice, name="bot")
    stored = ApiKey.objects.get(pk=key.pk)
    assert secret not in stored.secret_hash
    assert len(stored.secret_hash) == 64


def test_a_user_creates_sees_and_revokes_a_key_in_the_browser(client, alice):
    client.login(username="alice", password=PASSWORD)

    page = client.post(reverse("api-keys"), {"name": "momentum-bot"}).content.decode()
    key_id = re.search(r'data-testid="key-id">(\w+)<', page).group(1)
    secret = re.search(r'data-testid="key-secret">([\w-]+)<', page).group(1)
    assert _client_with(key_id, secret).get(ENDPOINT).status_code == 200

    # The secret is shown once: the list does not show it again.
    listing = client.get(reverse("api-keys")).content.decode()
    assert key_id in listing and secret not in listing

    client.post(reverse("api-key-revoke", args=[key_id]))
    assert "revoked" in client.get(reverse("api-keys")).content.decode()
    assert _client_with(key_id, secret).get(ENDPOINT).status_code == 401


def test_a_key_without_a_name_is_a_form_error(client, alice):
    client.login(username="alice", password=PASSWORD)
    response = client.post(reverse("api-keys"), {"name": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_nobody_revokes_another_users_key(client, alice, bob):
    key, secret = api_key_create(user=alice, name="bot")
    client.login(username="bob", password=PASSWORD)
    client.post(reverse("api-key-revoke", args=[key.key_id]))
    assert _client_with(key.key_id, secret).get(ENDPOINT).status_code == 200
