"""Finding 4: however a user is created, they get an account, and their pages answer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Account, CashEntry, User
from accounts.services import house_account_id

pytestmark = pytest.mark.django_db


def test_a_user_added_in_the_admin_gets_an_account_and_their_pages_answer(settings):
    User.objects.create_superuser("boss", "boss@example.com", "boss-pass-123")
    staff = Client()
    staff.login(username="boss", password="boss-pass-123")

    response = staff.post(
        "/admin/accounts/user/add/",
        {
            "username": "dora",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    dora = User.objects.get(username="dora")
    account = Account.objects.get(user=dora)
    assert account.cash == settings.STARTING_CASH
    assert CashEntry.objects.filter(account=account, kind=CashEntry.Kind.OPENING).count() == 1
    browser = Client()
    browser.force_login(dora)
    assert browser.get("/api/v1/account").status_code == 200
    assert browser.get("/portfolio/").status_code == 200


def test_createsuperuser_opens_an_account(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-pass-phrase-9")
    call_command("createsuperuser", "--noinput", username="root2", email="r@example.com")
    assert Account.objects.filter(user__username="root2").exists()


def test_the_house_gets_one_account_and_no_starting_cash(db):
    house = User.objects.get(pk=house_account_id())
    assert Account.objects.get(user=house).cash == Decimal("0")
