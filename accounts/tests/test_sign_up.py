from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Account, CashEntry, User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_up_opens_an_account_with_the_starting_cash(client):
    response = client.post(
        reverse("signup"),
        {"username": "dora", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302
    account = Account.objects.get(user__username="dora")
    assert account.cash == settings.STARTING_CASH == Decimal("100000.00")
    assert account.reserved_cash == 0
    entry = CashEntry.objects.get(account=account)
    assert (entry.kind, entry.amount, entry.balance_after) == (
        "opening",
        account.cash,
        account.cash,
    )
    # ...and the new user is signed in.
    assert client.get(reverse("api-keys")).status_code == 200


def test_sign_up_with_a_taken_name_shows_a_form_error(client, alice):
    response = client.post(
        reverse("signup"),
        {"username": "alice", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.filter(username="alice").count() == 1


def test_sign_up_with_a_weak_password_shows_a_form_error(client):
    response = client.post(
        reverse("signup"), {"username": "eve", "password1": "123", "password2": "123"}
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "This password is too short" in body
    assert not User.objects.filter(username="eve").exists()
    assert not Account.objects.exists()


def test_the_sign_up_page_tells_the_starting_cash(client):
    assert "$100,000.00" in client.get(reverse("signup")).content.decode()


def test_log_in_and_log_out(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert "alice" in client.get("/").content.decode()

    client.post(reverse("logout"))
    assert client.get(reverse("api-keys")).status_code == 302


def test_a_wrong_password_is_a_form_error(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
