"""The clock for real: a Celery worker and beat, as `make run` starts them, move the prices."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from marketdata.models import PriceBar, Stock
from trading.tests.factories import make_stock

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """A URL for the database this test runs on (the test database, not the dev one)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    pytest.skip(f"no URL recipe for {connection.vendor}")


def celery(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "brokerage", *args, "--loglevel", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pull_state")
def test_a_real_worker_and_beat_move_reference_prices_every_period(tmp_path):
    acme = make_stock("ACME", "100.00", price_source="universe")
    bolt = make_stock("BOLT", "20.00", price_source="universe")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MARKETDATA_")},
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PRICE_PULL_SECONDS": "1",
        "MARKETDATA_PROVIDER": "simulated",
        "BROKERAGE_VAR_DIR": str(tmp_path),
    }
    worker = celery(
        "worker", "--pool", "solo", "--without-gossip", "--without-mingle",
        env=env, log=tmp_path / "worker.log",
    )  # fmt: skip
    beat = celery("beat", "--schedule", str(tmp_path / "beat"), env=env, log=tmp_path / "beat.log")
    seen: list[Decimal] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(set(seen)) < 4:
            price = Stock.objects.values_list("reference_price", flat=True).get(pk=acme.pk)
            if not seen or price != seen[-1]:
                seen.append(price)
            time.sleep(0.2)
    finally:
        stop(beat)
        stop(worker)

    logs = (tmp_path / "worker.log").read_text() + (tmp_path / "beat.log").read_text()
    assert len(set(seen)) >= 4, f"prices seen: {seen}\n{logs[-3000:]}"
    assert seen[0] == Decimal("100.00")
    acme.refresh_from_db()
    bolt.refresh_from_db()
    assert acme.price_source == bolt.price_source == "simulated"
    assert not acme.price_stale
    latest = PriceBar.objects.filter(stock=acme).latest("start")
    assert latest.low <= latest.close == acme.reference_price <= latest.high
