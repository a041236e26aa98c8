"""core.db.Prepared: a query compiled once gives what the queryset gives, for any values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, ApiKey
from accounts.services import api_key_create
from core.db import Prepared

pytestmark = pytest.mark.django_db


def _key_query(key_id):
    return ApiKey.objects.select_related("user").filter(key_id=key_id)


def test_rows_and_joined_rows_are_what_the_queryset_reads(make_user):
    keys = [api_key_create(user=make_user(n), name=n)[0] for n in ("ann", "ben")]
    prepared = Prepared(lambda key_id: _key_query(key_id)[:1], str)
    for key in keys:
        [expected] = _key_query(key.key_id)
        found = prepared.first(key.key_id)
        assert found is not None and found.pk == expected.pk
        for field in ApiKey._meta.concrete_fields:
            assert getattr(found, field.attname) == getattr(expected, field.attname)
        assert found.created_at.tzinfo is not None  # the backend's converters ran
        with CaptureQueriesContext(connection) as ctx:
            assert found.user.username == expected.user.username  # joined: no query
        assert ctx.captured_queries == []
    assert prepared.first("no-such-key") is None


def test_values_go_where_their_stand_ins_were(make_user):
    ann, ben = make_user("ann"), make_user("ben")
    Account.objects.filter(user=ann).update(cash=Decimal("10"))
    Account.objects.filter(user=ben).update(cash=Decimal("30"))
    richer = Prepared(
        lambda user_id, floor, name: (
            Account.objects.filter(user_id__gte=user_id, cash__gt=floor)
            .exclude(user__username=name)
            .order_by("user_id")
        ),
        int,
        Decimal,
        str,
    )
    assert [a.user_id for a in richer.all(0, Decimal("5"), "")] == [ann.pk, ben.pk]
    assert [a.user_id for a in richer.all(0, Decimal("20"), "")] == [ben.pk]
    assert [a.user_id for a in richer.all(ben.pk + 1, Decimal("0"), "")] == []
    assert [a.user_id for a in richer.all(0, Decimal("0"), "ben")] == [ann.pk]


def test_an_in_list_of_a_fixed_length_takes_each_value(make_user):
    ann, ben, cid = make_user("ann"), make_user("ben"), make_user("cid")
    two = Prepared(
        lambda a, b: Account.objects.filter(user_id__in=[a, b]).order_by("user_id"), int, int
    )
    assert [a.user_id for a in two.all(ann.pk, cid.pk)] == [ann.pk, cid.pk]
    assert [a.user_id for a in two.all(ben.pk, ben.pk)] == [ben.pk]


def test_only_values_passed_as_they_are_and_every_value_is_used():
    with pytest.raises(AssertionError):
        Prepared(lambda when: Account.objects.filter(updated_at__gt=when), object)
    unused = Prepared(lambda user_id: Account.objects.all(), int)
    with pytest.raises(AssertionError):
        unused.all(1)
    # A lookup that rewrites its value (LIKE 'x%') leaves no stand-in to fill: refused.
    rewritten = Prepared(lambda name: Account.objects.filter(user__username__startswith=name), str)
    with pytest.raises(AssertionError):
        rewritten.all("a")
