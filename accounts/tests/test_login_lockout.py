"""Finding 2 (log-in): wrong passwords lock the username out, with a friendly form error."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def lockout(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5


def log_in(client: Client, password: str):
    return client.post("/login/", {"username": "alice", "password": password})


def test_five_wrong_passwords_lock_the_account_out_even_for_the_right_one(lockout, alice):
    browser = Client()
    wrong = [log_in(browser, f"guess-{i}").status_code for i in range(5)]
    right = log_in(browser, PASSWORD)

    assert wrong[:4] == [200, 200, 200, 200]  # the form again, "please enter a correct..."
    assert right.status_code == 429
    assert b"Too many failed log-in attempts" in right.content
    assert b'name="username"' in right.content  # the log-in page, not a bare error
    assert "_auth_user_id" not in browser.session


def test_the_right_password_before_the_limit_resets_the_count(lockout, alice):
    browser = Client()
    for i in range(4):
        log_in(browser, f"guess-{i}")
    assert log_in(browser, PASSWORD).status_code == 302
    browser.post("/logout/")
    for i in range(4):
        log_in(browser, f"again-{i}")
    assert log_in(browser, PASSWORD).status_code == 302


def test_another_user_elsewhere_is_not_locked_out_by_alices_attacker(lockout, alice, bob):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(6):
        log_in(attacker, f"guess-{i}")
    answer = Client(REMOTE_ADDR="198.51.100.2").post(
        "/login/", {"username": "bob", "password": PASSWORD}
    )
    assert answer.status_code == 302


def test_failures_count_per_account_whatever_address_they_come_from(lockout, alice):
    """An attacker who changes address (or forges X-Forwarded-For) at every guess still locks
    the account: the count is per account as well as per address."""
    for i in range(30):
        guess = Client(REMOTE_ADDR=f"203.0.113.{i + 1}", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        log_in(guess, f"guess-{i}")
    owner = Client(REMOTE_ADDR="192.0.2.10")
    right = log_in(owner, PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in owner.session


def test_failures_count_per_address_across_accounts(lockout, alice, bob):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(5):
        attacker.post("/login/", {"username": f"user{i}", "password": "nope-nope-nope"})
    answer = attacker.post("/login/", {"username": "bob", "password": PASSWORD})
    assert answer.status_code == 429
