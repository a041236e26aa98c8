#!/usr/bin/env python3
"""Time full refreshes of the price pull: N symbols from the simulator, in a throwaway database.

Never touches the development database: by default it builds a SQLite file in a temporary
folder; with --database-url pointing at PostgreSQL it creates a fresh database named
`bench_price_pull` on that server (migrated from scratch) and drops it at the end. Redis is a
private embedded server unless --redis-url names one.

Each round is one `prices_pull()` exactly as the Celery task runs it: Redis lock and state,
reading the universe, one simulator round for every symbol, bulk writes of prices and history,
and a quote message per changed price of a watched symbol (--watched N pretends the first N
symbols have subscribers) on the channel layer. After a warm-up round it prints
the worker time per refresh (wall and CPU, median and range of the rounds) and database rows
written per second.

    .venv/bin/python bench/price_pull.py                       # 3,000 symbols, SQLite
    .venv/bin/python bench/price_pull.py --symbols 300         # the demo set's size
    .venv/bin/python bench/price_pull.py --database-url postgres://root@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def configure(args: argparse.Namespace, workdir: Path) -> None:
    """Environment for the settings: the throwaway database, quiet production-mode settings."""
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["BROKERAGE_VAR_DIR"] = str(workdir)
    os.environ["DJANGO_SECRET_KEY"] = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    os.environ["DJANGO_DEBUG"] = "false"  # DEBUG would keep every query in memory
    os.environ["MARKETDATA_PROVIDER"] = "simulated"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("MARKETDATA_API_KEY", None)
    os.environ.pop("MARKETDATA_API_KEY_FILE", None)
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    else:
        from brokerage.embedded_redis import start

        os.environ["REDIS_URL"] = start()[1]  # a private server, stopped when the bench ends
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")


def create_database(postgres: bool, name: str) -> None:
    """Migrate a fresh database: a new SQLite file, or `name` on the server."""
    from django.core.management import call_command
    from django.db import connection

    if postgres:
        connection.settings_dict["TEST"]["NAME"] = name
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    else:
        call_command("migrate", verbosity=0)


def drop_database(postgres: bool, original_name: str) -> None:
    from django.db import connection

    if postgres:
        connection.creation.destroy_test_db(original_name, verbosity=0)


def load_symbols(count: int) -> int:
    """The first `count` symbols of the shipped universe file, priced from it."""
    from decimal import Decimal

    from django.utils import timezone

    from marketdata.models import Stock
    from marketdata.services import UNIVERSE_FILE

    with open(UNIVERSE_FILE, newline="") as f:
        rows = list(csv.DictReader(f))[:count]
    now = timezone.now()
    Stock.objects.bulk_create(
        [
            Stock(
                symbol=row["symbol"],
                name=row["name"],
                reference_price=Decimal(row["price"]),
                previous_close=Decimal(row["price"]),
                price_source="universe",
                price_updated_at=now,
            )
            for row in rows
        ],
        batch_size=1000,
    )
    return len(rows)


def watch(count: int) -> None:
    """Pretend the first `count` symbols have subscribers, so their changes get published."""
    from core import streams as core_streams
    from marketdata.models import Stock

    watched = list(Stock.objects.order_by("symbol").values_list("symbol", flat=True)[:count])
    core_streams.watched_symbols = lambda: watched


def count_statements(refresh) -> list[tuple[float, str]]:
    """Run one refresh, untimed; each SQL statement it ran with its wall time in seconds."""
    from django.db import connection

    ran: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            ran.append((time.perf_counter() - started, sql))

    with connection.execute_wrapper(timed):
        refresh()
    return ran


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=3000, help="universe size (max 7,247)")
    parser.add_argument("--rounds", type=int, default=7, help="timed refreshes after a warm-up")
    parser.add_argument("--database-url", help="a PostgreSQL server to create the database on")
    parser.add_argument(
        "--db-name",
        default="bench_price_pull",
        help="the throwaway database's name on the PostgreSQL server (dropped at the end)",
    )
    parser.add_argument("--redis-url", help="default: a private embedded Redis")
    parser.add_argument(
        "--watched",
        type=int,
        default=0,
        help="symbols with a live subscriber, whose changes are published (default 0)",
    )
    parser.add_argument("--profile", help="write a cProfile of the timed rounds to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-price-pull-") as workdir:
        configure(args, Path(workdir))
        import django

        django.setup()
        from django.db import connection

        from marketdata.redis_state import redis_client
        from marketdata.services import prices_pull, pull_provider

        postgres = connection.vendor == "postgresql"
        original_name = connection.settings_dict["NAME"]
        create_database(postgres, args.db_name)
        try:
            symbols = load_symbols(args.symbols)
            watch(args.watched)
            for key in redis_client().scan_iter("marketdata:pull:*"):
                redis_client().delete(key)
            provider = pull_provider()
            prices_pull(provider=provider)  # warm-up: connections, caches, first walk steps
            statements = count_statements(lambda: prices_pull(provider=provider))

            wall, cpu, rows = [], [], []
            profiler = None
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            for _ in range(args.rounds):
                started, started_cpu = time.perf_counter(), time.process_time()
                report = prices_pull(provider=provider)
                wall.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
                rows.append(report.rows_written)
                if report.skipped or report.asked != symbols:
                    sys.exit(f"a round did not refresh every symbol: {report}")
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(args.profile)
        finally:
            drop_database(postgres, original_name)

    median = statistics.median(wall)
    print(
        f"database: {connection.vendor}, symbols: {symbols}, watched: {args.watched},"
        f" rounds: {args.rounds}"
    )
    print(
        f"worker seconds per refresh: median {median:.3f} s"
        f" (min {min(wall):.3f}, max {max(wall):.3f}); CPU median {statistics.median(cpu):.3f} s"
    )
    print(
        f"rows written per refresh: {statistics.median(rows):,.0f}"
        f" (prices updated + history rows + stale flags + pruned)"
    )
    print(f"database writes per second: {statistics.median(rows) / median:,.0f} rows/s")
    print(
        f"SQL statements per refresh: {len(statements)}, taking {sum(t for t, _ in statements):.3f} s"
        " (one untimed round); the slowest:"
    )
    for seconds, sql in sorted(statements, key=lambda ran: ran[0], reverse=True)[:4]:
        print(f"  {seconds * 1000:7.1f} ms  {' '.join(sql.split())[:100]}")
    print(f"target <= 1 s of worker time per refresh: {'met' if median <= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
