"""rows_update: several rows' fields in one statement, auto_now stamped, other rows untouched."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account
from core.db import rows_update

pytestmark = pytest.mark.django_db


def test_several_rows_are_written_in_one_statement_each_with_its_own_values(make_user):
    rows = [Account.objects.get(user=make_user(name)) for name in ("ann", "ben", "cid")]
    untouched = Account.objects.get(pk=rows[2].pk)
    stale = timezone.now() - timedelta(days=1)
    Account.objects.filter(pk__in=[r.pk for r in rows]).update(updated_at=stale)
    rows[0].cash, rows[0].reserved_cash = Decimal("10.5000"), Decimal("1.2500")
    rows[1].cash, rows[1].reserved_cash = Decimal("20.0000"), Decimal("0")

    with CaptureQueriesContext(connection) as ctx:
        rows_update(rows[:2], ["cash", "reserved_cash", "updated_at"])

    assert len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]) == 1
    first, second, third = (Account.objects.get(pk=r.pk) for r in rows)
    assert (first.cash, first.reserved_cash) == (Decimal("10.5000"), Decimal("1.2500"))
    assert (second.cash, second.reserved_cash) == (Decimal("20.0000"), Decimal("0"))
    assert first.updated_at > stale and second.updated_at > stale  # auto_now, as save() does
    assert (third.cash, third.updated_at) == (untouched.cash, stale)


def test_one_row_is_one_update_and_none_is_nothing(make_user):
    row = Account.objects.get(user=make_user("ann"))
    row.cash = Decimal("7.0000")
    with CaptureQueriesContext(connection) as ctx:
        rows_update([], ["cash"])
        rows_update([row], ["cash", "updated_at"])
    assert len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]) == 1
    assert Account.objects.get(pk=row.pk).cash == Decimal("7.0000")


def test_one_row_writes_only_its_fields_stamps_auto_now_and_a_missing_row_raises(make_user):
    row = Account.objects.get(user=make_user("ann"))
    stale = timezone.now() - timedelta(days=1)
    Account.objects.filter(pk=row.pk).update(updated_at=stale)
    row.cash, row.reserved_cash = Decimal("8.0000"), Decimal("3.0000")
    rows_update([row], ["reserved_cash", "updated_at"])
    stored = Account.objects.get(pk=row.pk)
    assert stored.reserved_cash == Decimal("3.0000")
    assert stored.cash != Decimal("8.0000")  # not among the fields: left as stored
    assert stored.updated_at > stale

    gone = Account.objects.get(pk=row.pk)
    gone.pk = 10**12
    with pytest.raises(DatabaseError):
        rows_update([gone], ["cash"])
