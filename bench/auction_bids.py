"""Bids on one auction through the real HTTP API, beside order placement, on PostgreSQL.

    .venv/bin/python bench/auction_bids.py                     # 16 bidders, 1 daphne worker
    .venv/bin/python bench/auction_bids.py --clients 16 --rounds 5 --seconds 5

Same set-up as `bench/api_orders.py` (its own database, users with API keys, a seeded book,
daphne on one shared socket), plus a house auction everyone bids on and a Celery worker and
beat (the sweep every second, a close task at each end). Phases alternate, round by round:
`api_orders.py`'s placement load, then 16 bidders raising one auction (each bids a little over
the last minimum it saw; a "too low" answer makes it read the auction again). Meanwhile short
auctions end every few seconds: their close lateness (recorded by the close) is reported.
Prints accepted bids/s against placements/s of the same run, p50/p99 of each, the lateness
percentiles, and the ledger audit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_orders as orders

PYTHON = orders.PYTHON
ROOT = orders.ROOT


def seed_auctions(total_seconds: float, short: int) -> None:
    """In the bench database: the big auction and `short` auctions ending during the run."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.conf import settings

    from trading.services.auctions import auction_create

    settings.AUCTION_SCHEDULE_CLOSE_TASKS = True
    symbol = orders.SYMBOLS[0]
    main = auction_create(
        seller=None, symbol=symbol, qty=100, reserve_price="90.00", start_price="50.00",
        duration_seconds=int(total_seconds) + 60,
    )  # fmt: skip
    for i in range(short):
        auction_create(
            seller=None, symbol=orders.SYMBOLS[1 % len(orders.SYMBOLS)], qty=10,
            reserve_price="90.00", duration_seconds=10 + int(i * total_seconds / short),
        )  # fmt: skip
    print(json.dumps(main.pk))


async def _bid_client(conn, auction_id: int, seed: int, deadline: float, stats, refused) -> None:
    rng = random.Random(seed)
    path = f"/api/v1/auctions/{auction_id}"
    minimum = None
    while time.perf_counter() < deadline:
        if minimum is None:
            _, data = await conn.request("GET", path)
            minimum = float(json.loads(data)["min_next_bid"])
        # Proxy bidding: a bidder states a maximum some way over the minimum, not the minimum.
        price = minimum + rng.randint(0, 400) * 0.01
        start = time.perf_counter()
        status, data = await conn.request("POST", path + "/bids", {"max_price": f"{price:.2f}"})
        if status == 201:
            stats.add(time.perf_counter() - start, status)
            minimum = price + 0.01
        else:
            error = json.loads(data)
            refused[error.get("code", status)] = refused.get(error.get("code", status), 0) + 1
            # A bid that lost the race to the minimum is told the new minimum.
            hint = error.get("fields", {}).get("min_next_bid")
            minimum = float(hint[0]) if hint else None


async def _bench(args, keys, port: int, auction_id: int) -> None:
    conns = [orders.Connection(port, k, s) for k, s in keys]
    await orders._phase(
        conns,
        args.warmup,
        lambda i, c, d: orders._order_client(c, i, d, orders.Stats(), orders.Stats(), []),
    )
    place, cancel, bids, refused = orders.Stats(), orders.Stats(), orders.Stats(), {}
    order_time = bid_time = 0.0
    for r in range(args.rounds):
        order_time += await orders._phase(
            conns,
            args.seconds,
            lambda i, c, d, r=r: orders._order_client(c, 100 * r + i, d, place, cancel, []),
        )
        bid_time += await orders._phase(
            conns,
            args.seconds,
            lambda i, c, d, r=r: _bid_client(c, auction_id, 100 * r + i, d, bids, refused),
        )
    for conn in conns:
        if conn.writer is not None:
            conn.writer.close()
    print(f"\n{len(conns)} clients, {args.rounds} rounds of {args.seconds:.0f} s a phase\n")
    place_rate = orders._report("POST /api/v1/orders (place)", place, order_time)
    bid_rate = orders._report("POST /api/v1/auctions/{id}/bids", bids, bid_time)
    answered = (len(bids.latencies) + sum(refused.values())) / bid_time
    print(f"refused bids (a race to the minimum, answered 4xx): {refused}")
    print(f"bid requests answered/s (accepted + refused) {answered:.1f}: "
          f"{answered / place_rate:.2f}x placements/s")  # fmt: skip
    print(f"\naccepted bids/s {bid_rate:.1f} vs placements/s {place_rate:.1f}: "
          f"{bid_rate / place_rate:.2f}x (target >= 1)")  # fmt: skip


LATENESS = """
from trading.models import Auction
rows = sorted(Auction.objects.exclude(close_lateness_ms=None).values_list("close_lateness_ms", flat=True))
print(rows)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="daphne processes")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--short-auctions", type=int, default=10)
    parser.add_argument("--db-url", default="postgres://root@127.0.0.1:5432/")
    parser.add_argument("--db-name", default="bench_auctions")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--seed-only", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed-auctions", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.maker_fee_bps = args.taker_fee_bps = "0"
    orders.SYMBOLS[:] = orders._symbols(2)
    if args.seed_only is not None:
        orders.seed(args.seed_only)
        return
    if args.seed_auctions is not None:
        seed_auctions(args.seed_auctions, args.short_auctions)
        return
    total = args.warmup + 2 * args.rounds * args.seconds
    with tempfile.TemporaryDirectory(prefix="bench-auctions-") as var_dir:
        env = orders._server_env(args, var_dir)
        env["AUCTION_SOFT_CLOSE_SECONDS"] = "0"  # the big auction must outlast the run
        print(f"database {env['DATABASE_URL']}, redis {args.redis_url}", flush=True)
        orders._create_database(args)
        orders._run([PYTHON, "manage.py", "migrate", "-v", "0"], env)
        keys = json.loads(
            orders._run([PYTHON, __file__, "--seed-only", str(args.clients)], env).splitlines()[-1]
        )
        clock = [
            subprocess.Popen(
                [PYTHON, "-m", "celery", "-A", "brokerage", *cmd, "--loglevel", "WARNING"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            for cmd in (
                ["worker", "--pool", "solo", "--without-gossip", "--without-mingle"],
                ["beat", "--schedule", str(Path(var_dir) / "beat")],
            )
        ]
        auction_id = json.loads(
            orders._run(
                [PYTHON, __file__, "--seed-auctions", str(total),
                 "--short-auctions", str(args.short_auctions)],
                env,
            ).splitlines()[-1]
        )  # fmt: skip
        listener, workers = orders._start_workers(args, env)
        port = listener.getsockname()[1]
        try:
            orders._wait_until_up(port, keys[0], workers)
            asyncio.run(_bench(args, keys, port, auction_id))
            time.sleep(12)  # the last short auctions close
        finally:
            for p in [*workers, *clock]:
                p.terminate()
            for p in [*workers, *clock]:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
            listener.close()
        out = orders._run([PYTHON, "manage.py", "shell", "-v", "0", "-c", LATENESS], env)
        rows = json.loads(out.strip().splitlines()[-1])
        if rows:
            p50 = rows[len(rows) // 2]
            p99 = rows[min(len(rows) - 1, int(0.99 * len(rows)))]
            print(f"close lateness over {len(rows)} closes: p50 {p50} ms, p99 {p99} ms "
                  f"(target p99 <= 2000 ms)")  # fmt: skip
        audit = subprocess.run(
            [PYTHON, "manage.py", "audit_ledger"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        verdict = "clean" if audit.returncode == 0 else f"FAILED\n{audit.stderr}"
        print(f"ledger audit after the run: {verdict}")


if __name__ == "__main__":
    main()
