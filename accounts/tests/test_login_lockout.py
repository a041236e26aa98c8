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


def test_another_user_is_not_locked_out_by_alices_attacker(lockout, alice, bob):
    attacker = Client()
    for i in range(6):
        log_in(attacker, f"guess-{i}")
    answer = attacker.post("/login/", {"username": "bob", "password": PASSWORD})
    assert answer.status_code == 302
