"""Finding 6: after a kept or pooled connection's backend is terminated, the next use still works."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL (DATABASE_POOL=true)")
def test_a_terminated_pooled_connection_is_replaced_not_handed_out():
    from psycopg_pool import ConnectionPool

    # The pool exactly as Django builds it from the settings (django.db.backends.postgresql),
    # but of its own, so that no other test's connections are in it.
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    params = connection.get_connection_params()
    pool = ConnectionPool(
        kwargs={**params, "autocommit": True},
        check=ConnectionPool.check_connection
        if connection.settings_dict["CONN_HEALTH_CHECKS"]
        else None,
        min_size=1,
        max_size=1,
        open=True,
    )
    try:
        with pool.connection() as conn:
            pid = conn.info.backend_pid
        admin_params = {k: v for k, v in params.items() if k not in ("cursor_factory", "context")}
        with psycopg.connect(**admin_params, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]

        answers = []
        for _ in range(3):
            with pool.connection() as conn:
                answers.append(conn.execute("SELECT 1").fetchone()[0])
        assert answers == [1, 1, 1]
    finally:
        pool.close()


@pytest.mark.skipif(
    connection.vendor != "postgresql" or bool(connection.settings_dict["OPTIONS"].get("pool")),
    reason="PostgreSQL with kept connections (the default: no pool)",
)
def test_a_kept_connection_whose_backend_was_terminated_is_replaced_at_the_next_request():
    from django.db import close_old_connections

    assert connection.settings_dict["CONN_MAX_AGE"] > 0  # kept between requests
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    close_old_connections()  # a request ends: the connection is kept
    assert connection.connection is not None and connection.connection.info.backend_pid == pid

    params = connection.get_connection_params()
    admin_params = {k: v for k, v in params.items() if k not in ("cursor_factory", "context")}
    with psycopg.connect(**admin_params, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]

    # The next request's first statement finds it dead, reconnects and runs.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        new_pid = cursor.fetchone()[0]
    assert new_pid != pid
