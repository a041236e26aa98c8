"""The stack on several hosts: one app host killed, orders through the load balancer go on.

Starts `bench/cluster.py`'s cluster (network namespaces: db, app1, app2, HAProxy on lb) under
its own names and subnet, so that it never meets a cluster someone started by hand. It needs
root, HAProxy, iptables and PostgreSQL's binaries, and takes one to two minutes: it runs only
when asked, `BROKERAGE_CLUSTER_TEST=1 make test PYTEST_ARGS="-m cluster"`, as CI does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
import requests

from bench.cluster import PYTHON, ROOT, Cluster, missing_requirements, run

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.timeout(420),
    pytest.mark.skipif(
        os.environ.get("BROKERAGE_CLUSTER_TEST") != "1" or bool(missing_requirements()),
        reason="the cluster test runs with BROKERAGE_CLUSTER_TEST=1, as root, with haproxy "
        f"and iptables ({missing_requirements() or 'all present'})",
    ),
]


@pytest.fixture(scope="module")
def cluster():
    cluster = Cluster(name="bkt", subnet="10.78.0", env={"API_RATE_LIMIT": "off"})
    try:
        cluster.up()
        yield cluster
    finally:
        cluster.down(quiet=True)
    left = run("ip", "netns", "list").stdout
    assert "bkt-" not in left, f"namespaces left behind: {left}"


@pytest.fixture(scope="module")
def key(cluster) -> tuple[str, str]:
    seed = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "api_orders.py"), "--seed-only", "1", "--symbols", "1"],
        cwd=ROOT, env=cluster.app_env(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    key_id, secret = json.loads(seed.stdout.splitlines()[-1])[0]
    return key_id, secret


def place(cluster: Cluster, key: tuple[str, str], session: requests.Session) -> tuple[int, str]:
    """One order through the load balancer, resent under its client_order_id until a definite
    answer (as a bot would); (the final status, the client_order_id)."""
    coid = f"cluster-{uuid.uuid4().hex[:12]}"
    body = {"symbol": "BNCAA", "qty": "1", "side": "buy", "type": "limit",
            "limit_price": "99.50", "time_in_force": "gtc", "client_order_id": coid}  # fmt: skip
    headers = {"APCA-API-KEY-ID": key[0], "APCA-API-SECRET-KEY": key[1]}
    status = 0
    for _ in range(20):
        try:
            answer = session.post(f"{cluster.url}/api/v1/orders", json=body, headers=headers,
                                  timeout=10)  # fmt: skip
        except requests.RequestException:
            time.sleep(0.25)
            continue
        status = answer.status_code
        if status == 422 and answer.json().get("code") == "duplicate_client_order_id":
            return 200, coid  # an earlier try, whose answer was lost, placed it
        if status != 503:
            return status, coid
        time.sleep(0.25)
    return status, coid


def stored(cluster: Cluster, coids: list[str]) -> set[str]:
    import psycopg

    with psycopg.connect(cluster.database_url) as conn:
        rows = conn.execute(
            "SELECT client_order_id FROM trading_order WHERE client_order_id = ANY(%s)", (coids,)
        ).fetchall()
    return {r[0] for r in rows}


def test_orders_through_the_load_balancer_go_on_and_the_clock_moves_when_an_app_host_dies(
    cluster, key
):
    session = requests.Session()
    before = [place(cluster, key, session) for _ in range(5)]
    assert [status for status, _ in before] == [200] * 5
    victim = cluster.beat_holder()  # the host whose beat holds the clock: app1, started first
    assert victim == "app1"

    killed = cluster.kill_host(victim)
    assert killed > 0 and cluster.pids(victim) == []
    killed_at = time.monotonic()
    after = [place(cluster, key, session)]
    first_accepted = time.monotonic() - killed_at
    after += [place(cluster, key, session) for _ in range(19)]

    assert [status for status, _ in after] == [200] * 20, after
    assert first_accepted < 10, f"the first order after the kill took {first_accepted:.1f} s"
    coids = [coid for _, coid in before + after]
    assert stored(cluster, coids) == set(coids)
    # Every one of them was served by the survivor: the dead host answers nothing.
    assert not cluster.app_healthy(victim) and cluster.app_healthy("app2")
    # And the clock moved there: the dead host's lock ran out and app2's beat took it.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and cluster.beat_holder() != "app2":
        time.sleep(0.5)
    assert cluster.beat_holder() == "app2"


if __name__ == "__main__":  # pragma: no cover - `python bench/tests/test_cluster.py` runs it
    sys.exit(pytest.main([__file__, "-m", "cluster", "-v"]))
