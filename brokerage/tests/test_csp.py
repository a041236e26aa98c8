"""The pages carry a Content-Security-Policy allowing only this site's scripts and sockets."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_page_has_the_policy_with_this_hosts_websockets(db):
    policy = Client().get("/", HTTP_HOST="localhost")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self' ws://localhost wss://localhost" in policy
    assert "frame-ancestors 'none'" in policy


def test_the_api_and_the_admin_are_left_alone(alice, key_client):
    assert "Content-Security-Policy" not in key_client(alice).get("/api/v1/account")
    assert "Content-Security-Policy" not in Client().get("/admin/login/")


def test_off_sends_no_policy(settings):
    settings.CONTENT_SECURITY_POLICY = "off"
    assert "Content-Security-Policy" not in Client().get("/")
