"""Bids on one auction through the real HTTP API, beside order placement, on PostgreSQL.

    .venv/bin/python bench/auction_bids.py                     # 16 bidders, 1 daphne worker
    .venv/bin/python bench/auction_bids.py --clients 16 --rounds 5 --seconds 5

Same set-up as `bench/api_orders.py` (its own database, users with API keys, a seeded book,
daphne on one shared socket), plus house auctions the bidders bid on and a Celery worker and
beat (the sweep every second, a close task at each end). Phases alternate, round by round:
`api_orders.py`'s placement load, then the 16 bidders on one auction in each of two loads:

- **war**: a bidding war — each bid tops the highest maximum any bidder has sent so far by
  two increments (the way bidders who watch the live max bid outbid it). Nearly every bid is
  valid when it arrives, so accepted bids/s is the server's rate of taking bids.
- **race**: each bidder bids a little over the last minimum it saw; a "too low" answer carries
  the new minimum. With 16 bidders in flight most bids lose the race to the minimum: accepted
  bids/s then measures the race more than the server, and the answered rate is the server's.

Meanwhile short auctions end every few seconds: their close lateness (recorded by the close)
is reported. Prints, for each load, accepted bids/s against placements/s of the same run, bid
requests answered/s, p50/p99, then the lateness percentiles and the ledger audit.
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
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_orders as orders

PYTHON = orders.PYTHON
ROOT = orders.ROOT


WAR_INCREMENT_CENTS = 5  # the war auction's fixed increment: 0.05 a share


def seed_auctions(total_seconds: float, short: int) -> None:
    """In the bench database: the two big auctions (war, race) and `short` auctions ending
    during the run."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.conf import settings

    from trading.auctions.services.create import auction_create

    settings.AUCTION_SCHEDULE_CLOSE_TASKS = True
    symbol = orders.SYMBOLS[0]
    lasting = int(total_seconds) + 60
    war = auction_create(
        seller=None, symbol=symbol, qty=100, reserve_price="90.00", start_price="50.00",
        duration_seconds=lasting, increment_rule="fixed",
        fixed_increment=f"0.{WAR_INCREMENT_CENTS:02d}",
    )  # fmt: skip
    race = auction_create(
        seller=None, symbol=symbol, qty=100, reserve_price="90.00", start_price="50.00",
        duration_seconds=lasting,
    )  # fmt: skip
    for i in range(short):
        auction_create(
            seller=None, symbol=orders.SYMBOLS[1 % len(orders.SYMBOLS)], qty=10,
            reserve_price="90.00", duration_seconds=10 + int(i * total_seconds / short),
        )  # fmt: skip
    print(json.dumps([war.pk, race.pk]))


def _cents(price: int) -> str:
    return f"{price // 100}.{price % 100:02d}"


@dataclass
class BidLoad:
    """One load's figures: accepted bids (latencies) and refusals by code."""

    name: str
    auction_id: int
    accepted: orders.Stats = field(default_factory=orders.Stats)
    refused: dict = field(default_factory=dict)
    elapsed: float = 0.0
    top: list[int] = field(default_factory=lambda: [0])  # war: highest maximum sent, cents

    def refuse(self, code) -> None:
        self.refused[code] = self.refused.get(code, 0) + 1


async def _bid(conn, load: BidLoad, cents: int) -> dict | None:
    """POST one bid; the refusal's body when refused, None when accepted."""
    path = f"/api/v1/auctions/{load.auction_id}/bids"
    start = time.perf_counter()
    status, data = await conn.request("POST", path, {"max_price": _cents(cents)})
    if status == 201:
        load.accepted.add(time.perf_counter() - start, status, conn.server_ms)
        return None
    error = json.loads(data)
    load.refuse(error.get("code", status))
    return error


async def _war_bidder(conn, load: BidLoad, deadline: float) -> None:
    """Each bid tops the highest maximum sent by anyone by two increments."""
    _, data = await conn.request("GET", f"/api/v1/auctions/{load.auction_id}")
    floor = int(Decimal(json.loads(data)["min_next_bid"]) * 100)
    while time.perf_counter() < deadline:
        cents = max(load.top[0], floor) + 2 * WAR_INCREMENT_CENTS
        load.top[0] = cents
        await _bid(conn, load, cents)


async def _race_bidder(conn, load: BidLoad, seed: int, deadline: float) -> None:
    """Bid a maximum some way over the last minimum seen (proxy bidding); a refusal as too
    low tells the new minimum."""
    rng = random.Random(seed)
    minimum = None
    while time.perf_counter() < deadline:
        if minimum is None:
            _, data = await conn.request("GET", f"/api/v1/auctions/{load.auction_id}")
            minimum = int(Decimal(json.loads(data)["min_next_bid"]) * 100)
        cents = minimum + rng.randint(0, 400)
        error = await _bid(conn, load, cents)
        if error is None:
            minimum = cents + 1
        else:
            hint = error.get("fields", {}).get("min_next_bid")
            minimum = int(Decimal(hint[0]) * 100) if hint else None


async def _bench(args, keys, port: int, auction_ids: list[int]) -> None:
    conns = [orders.Connection(port, k, s) for k, s in keys]
    await orders._phase(
        conns,
        args.warmup,
        lambda i, c, d: orders._order_client(c, i, d, orders.Stats(), orders.Stats(), []),
    )
    war, race = BidLoad("war", auction_ids[0]), BidLoad("race", auction_ids[1])
    place, cancel = orders.Stats(), orders.Stats()
    order_time = 0.0
    for r in range(args.rounds):
        order_time += await orders._phase(
            conns,
            args.seconds,
            lambda i, c, d, r=r: orders._order_client(c, 100 * r + i, d, place, cancel, []),
        )
        war.elapsed += await orders._phase(
            conns, args.seconds, lambda i, c, d: _war_bidder(c, war, d)
        )
        race.elapsed += await orders._phase(
            conns, args.seconds, lambda i, c, d, r=r: _race_bidder(c, race, 100 * r + i, d)
        )
    for conn in conns:
        if conn.writer is not None:
            conn.writer.close()
    print(f"\n{len(conns)} clients, {args.rounds} rounds of {args.seconds:.0f} s a phase\n")
    place_rate = orders._report("POST /api/v1/orders (place)", place, order_time)
    rates = {}
    for load in (war, race):
        rates[load.name] = orders._report(
            f"bids, {load.name}: accepted", load.accepted, load.elapsed
        )
    print()
    for load in (war, race):
        answered = (len(load.accepted.latencies) + sum(load.refused.values())) / load.elapsed
        print(f"{load.name}: refused {load.refused or 'none'}; bid requests answered/s "
              f"{answered:.1f} ({answered / place_rate:.2f}x placements/s)")  # fmt: skip
    print()
    for name, rate in rates.items():
        print(f"accepted bids/s, {name}: {rate:.1f} vs placements/s {place_rate:.1f}: "
              f"{rate / place_rate:.2f}x (target >= 1)")  # fmt: skip


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
    total = args.warmup + 3 * args.rounds * args.seconds
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
        auction_ids = json.loads(
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
            asyncio.run(_bench(args, keys, port, auction_ids))
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
