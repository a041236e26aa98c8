"""core.db.insert_together: several models' new rows, one statement on PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, ApiKey, CashEntry
from core.db import insert_together

pytestmark = pytest.mark.django_db


def _statements(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return sum(1 for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"])


def test_every_row_is_written_as_bulk_create_writes_it(make_user):
    ann, ben = make_user("ann"), make_user("ben")
    accounts = {a.user_id: a for a in Account.objects.filter(user__in=[ann, ben])}
    entries = [
        CashEntry(
            account=accounts[u.pk], amount=Decimal(f"{i}.25"), balance_after=0, kind="adjustment"
        )
        for i, u in enumerate((ann, ben, ann), start=1)
    ]
    keys = [
        ApiKey(user=u, name=f"key {u.username}", key_id=f"K{u.pk}", secret_hash="h")
        for u in (ann, ben)
    ]

    count = _statements(lambda: insert_together([entries, [], keys]))

    assert count == (1 if connection.vendor == "postgresql" else 2)
    assert all(k.pk is not None and not k._state.adding for k in keys)  # ids back
    stored = list(CashEntry.objects.filter(memo="", kind="adjustment").order_by("id"))
    assert [(e.account_id, e.amount) for e in stored[-3:]] == [
        (accounts[ann.pk].pk, Decimal("1.25")),
        (accounts[ben.pk].pk, Decimal("2.25")),
        (accounts[ann.pk].pk, Decimal("3.25")),
    ]
    assert all(e.created_at is not None for e in stored)  # auto_now_add stamped
    assert {k.pk: k.name for k in ApiKey.objects.filter(pk__in=[k.pk for k in keys])} == {
        keys[0].pk: "key ann",
        keys[1].pk: "key ben",
    }


def test_a_failing_part_writes_nothing(make_user):
    from django.db import IntegrityError, transaction

    ann = make_user("ann")
    account = Account.objects.get(user=ann)
    before = CashEntry.objects.count()
    entry = CashEntry(account=account, amount=Decimal("1"), balance_after=0, kind="adjustment")
    clash = [ApiKey(user=ann, name=n, key_id="SAME", secret_hash="h") for n in ("a", "b")]
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together([[entry], clash])
    assert CashEntry.objects.count() == before
    assert not ApiKey.objects.filter(key_id="SAME").exists()
