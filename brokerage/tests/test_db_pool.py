"""Finding 6: after the database's backends are terminated, the next requests still answer."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(
    connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get("pool"),
    reason="a PostgreSQL connection pool",
)
def test_no_request_fails_after_the_pooled_backends_are_terminated(alice, key_client):
    client = key_client(alice)
    client.raise_request_exception = False
    assert client.get("/api/v1/account").status_code == 200
    connection.close()  # back to the pool, as at the end of every request

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert killed >= 1

    answers = []
    for _ in range(6):
        answers.append(client.get("/api/v1/account").status_code)
        connection.close()
    assert answers == [200] * 6
