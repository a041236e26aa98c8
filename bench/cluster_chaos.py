"""Faults across hosts, under load, through a load balancer: is anything lost, doubled or late?

    .venv/bin/python bench/cluster_chaos.py                      # every fault, 40 s each (root)
    .venv/bin/python bench/cluster_chaos.py --faults kill-app,cut-beat --seconds 60

It starts the cluster of `bench/cluster.py` (db, app1, app2, lb: network namespaces on this
machine), seeds `bench/api_orders.py`'s users, keys, stocks and book, and for each fault runs,
for `--seconds`, through HAProxy only:

- API traders: `bench/chaos.py`'s clients (limit orders under their own `client_order_id`,
  cancels, about 3% refused orders, retries of whatever got no definite answer);
- auction bidders: short auctions by one trader, ending during the fault, bid on by the rest;
- websocket watchers: the terminal client's `client.stream.Stream` on `/ws/` (book of one
  symbol, its user's private `orders` channel), reconnecting through the load balancer and
  resuming with `since_seq`;

and a fault that starts after 3 s and is undone 3 s before the end. Then the cluster is brought
back to quiet (both app hosts answering, due auctions closed) and checked: every placement
reconciled by `client_order_id` (`chaos.reconcile`: lost, phantom), `audit_ledger`, each
auction closed once (one print at most, none left open) and how late, each watcher's orders
seqs without a hole and its book equal to REST's. A `backup` step takes a `pg_dump` while
trading runs, restores it into a fresh database and audits it. Exits 1 on any lost, phantom,
violation, auction not closed exactly once, or watcher that missed a message.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import api_orders as orders
import chaos
from cluster import Cluster, missing_requirements

from client.stream import Stream

FAULTS = (
    "kill-app",
    "cut-app-db",
    "cut-beat",
    "freeze-redis",
    "restart-redis",
    "restart-postgres",
    "loss",
)
EXTRA = ("none", "backup")


# --------------------------------------------------------------------------- load, recorded
@dataclass
class Record:
    """Every request's (client, start, end, status) and the faults' windows."""

    requests: list[tuple[int, float, float, int | None]] = field(default_factory=list)
    windows: list[tuple[float, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class LbClient(chaos.Client):
    """chaos.Client through the load balancer, recording each request."""

    def __init__(self, host: str, key: tuple[str, str], index: int, record: Record) -> None:
        super().__init__(80, key[0], key[1], host=host)
        self.index, self.record = index, record

    async def send(self, method, path, body, timeout):
        start = time.monotonic()
        reply = await super().send(method, path, body, timeout)
        self.record.requests.append((self.index, start, time.monotonic(), reply.status))
        return reply


@dataclass
class Watcher:
    """One websocket client through the load balancer: what it saw of its orders and book."""

    key: tuple[str, str]
    symbol: str
    first_seq: int | None = None  # the orders seq of its first snapshot
    seqs: set[int] = field(default_factory=set)
    connects: int = 0
    resyncs: int = 0
    stream: Stream | None = None


async def _watch(w: Watcher, url: str, stop: asyncio.Event) -> None:
    w.stream = stream = Stream(
        url, symbols=[w.symbol], channels=("book",), key_id=w.key[0], secret_key=w.key[1],
        depth=50, base_delay=0.2, max_delay=2.0, retry_first_connect=True,
    )  # fmt: skip

    async def consume() -> None:
        async for event in stream.events():
            kind = event["type"]
            if kind == "connected":
                w.connects += 1
            elif kind == "resync":
                w.resyncs += 1
            elif kind == "orders.snapshot" and w.first_seq is None:
                w.first_seq = int(event["seq"])
            elif kind in ("orders", "auction.standing", "alert.fired") and isinstance(
                event.get("seq"), int
            ):
                w.seqs.add(event["seq"])

    task = asyncio.create_task(consume())
    await stop.wait()
    await stream.close()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


async def _current_orders_seq(url: str, key: tuple[str, str]) -> int:
    """The user's orders seq now, from a fresh subscription."""
    probe = Stream(url, channels=(), key_id=key[0], secret_key=key[1], retry_first_connect=True)
    async for event in probe.events():
        if event["type"] == "orders.snapshot":
            await probe.close()
            return int(event["seq"])
    return -1


async def _rest_book(host: str, key: tuple[str, str], symbol: str) -> dict:
    conn = orders.Connection(80, *key, host=host)
    status, body = await conn.request("GET", f"/api/v1/stocks/{symbol}/book?depth=50")
    conn.writer.close()
    return json.loads(body) if status == 200 else {}


def _book_matches(stream: Stream, rest: dict, symbol: str) -> bool:
    book = stream.books.get(symbol)
    if book is None or not book.synced or not rest:
        return False

    def side(levels) -> list[tuple[Decimal, Decimal]]:
        return [(Decimal(lvl["price"]), Decimal(lvl["qty"])) for lvl in levels]

    return (
        book.seq == rest["seq"]
        and book.levels("buy", 50) == side(rest["bids"])
        and book.levels("sell", 50) == side(rest["asks"])
    )


# --------------------------------------------------------------------------- the faults
async def _pause(stop: asyncio.Event, seconds: float) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return not stop.is_set()


def _other(cluster: Cluster, app: str | None) -> str:
    return "app2" if app == "app1" else "app1"


async def fault_kill_app(cluster: Cluster, stop, rec: Record, args) -> None:
    """kill -9 every process of the app host not holding the clock; restarted 15 s later."""
    victim = _other(cluster, cluster.beat_holder())
    start = time.monotonic()
    killed = cluster.kill_host(victim)
    rec.notes.append(f"killed {killed} processes of {victim}")
    await _pause(stop, args.down_seconds)
    rec.windows.append((start, time.monotonic()))
    cluster.start_app(victim)  # the process manager brings the host back
    await asyncio.to_thread(cluster.wait_app, victim)
    rec.notes.append(f"{victim} answering again {time.monotonic() - start:.1f} s after the kill")


async def fault_cut_app_db(cluster: Cluster, stop, rec: Record, args) -> None:
    """Drop every packet between one app host and db (PostgreSQL and Redis) for a while."""
    victim = _other(cluster, cluster.beat_holder())
    start = time.monotonic()
    cluster.cut(victim, "db")
    try:
        await _pause(stop, args.down_seconds)
    finally:
        cluster.cut(victim, "db", cut=False)
    rec.windows.append((start, time.monotonic()))
    rec.notes.append(f"{victim} cut from db for {time.monotonic() - start:.1f} s")


async def fault_cut_beat(cluster: Cluster, stop, rec: Record, args) -> None:
    """Cut the host whose beat holds the clock from everything (db and lb)."""
    victim = cluster.beat_holder() or "app1"
    start = time.monotonic()
    cluster.cut(victim, "db")
    cluster.cut(victim, "lb")
    try:
        for _ in range(int(args.down_seconds * 10)):
            holder = cluster.beat_holder()
            if holder != victim:
                rec.notes.append(
                    f"beat on {victim} cut; {holder} took the clock after "
                    f"{time.monotonic() - start:.1f} s"
                )
                break
            await asyncio.sleep(0.1)
        await _pause(stop, max(0.0, args.down_seconds - (time.monotonic() - start)))
    finally:
        cluster.cut(victim, "db", cut=False)
        cluster.cut(victim, "lb", cut=False)
    rec.windows.append((start, time.monotonic()))


async def fault_freeze_redis(cluster: Cluster, stop, rec: Record, args) -> None:
    """SIGSTOP Redis on db for 3 s, every 8 s."""
    while not stop.is_set():
        start = time.monotonic()
        cluster.freeze_redis(True)
        try:
            await asyncio.sleep(args.freeze_seconds)
        finally:
            cluster.freeze_redis(False)
        rec.windows.append((start, time.monotonic()))
        if not await _pause(stop, args.freeze_every - args.freeze_seconds):
            break


async def fault_restart_redis(cluster: Cluster, stop, rec: Record, args) -> None:
    """Stop Redis on db (cleanly, its append-only file kept) and start it again, every 12 s."""
    while not stop.is_set():
        start = time.monotonic()
        await asyncio.to_thread(cluster.restart_redis)
        rec.windows.append((start, time.monotonic()))
        rec.notes.append(f"redis restarted in {time.monotonic() - start:.1f} s")
        if not await _pause(stop, args.restart_every):
            break


async def fault_restart_postgres(cluster: Cluster, stop, rec: Record, args) -> None:
    """pg_ctl restart -m fast on db (every session cut, in-flight transactions rolled back)."""
    while not stop.is_set():
        start = time.monotonic()
        await asyncio.to_thread(cluster.restart_postgres)
        rec.windows.append((start, time.monotonic()))
        rec.notes.append(f"postgres restarted in {time.monotonic() - start:.1f} s")
        if not await _pause(stop, args.restart_every):
            break


async def fault_loss(cluster: Cluster, stop, rec: Record, args) -> None:
    """Drop a share of the packets arriving at one app host (no netem here: no latency)."""
    victim = _other(cluster, cluster.beat_holder())
    start = time.monotonic()
    cluster.loss(victim, args.loss)
    try:
        await stop.wait()
    finally:
        cluster.loss(victim, None)
    rec.windows.append((start, time.monotonic()))
    rec.notes.append(f"{args.loss:.0%} of packets into {victim} dropped")


async def fault_none(cluster: Cluster, stop, rec: Record, args) -> None:
    await stop.wait()


@dataclass
class Backup:
    source: dict = field(default_factory=dict)
    restored: dict = field(default_factory=dict)
    violations: int = -1
    seconds: float = 0.0
    size: int = 0


TOTALS_SQL = """
SELECT (SELECT coalesce(sum(cash), 0) FROM accounts_account),
       (SELECT coalesce(sum(reserved_cash), 0) FROM accounts_account),
       (SELECT coalesce(sum(qty), 0) FROM trading_position),
       (SELECT coalesce(sum(reserved_qty), 0) FROM trading_position),
       (SELECT count(*) FROM trading_order),
       (SELECT count(*) FROM trading_trade)
"""


def _totals(row) -> dict:
    names = ("cash", "reserved_cash", "shares", "reserved_shares", "orders", "trades")
    return {name: str(value) for name, value in zip(names, row, strict=True)}


def take_backup(cluster: Cluster, backup: Backup) -> None:
    """pg_dump of a snapshot exported by a transaction that also reads the totals, so the
    totals are the dump's own instant; then a restore into a fresh database, audited."""
    import psycopg

    pg_bin = "/usr/lib/postgresql/15/bin"
    dump = cluster.state / "backup.dump"
    start = time.monotonic()
    with psycopg.connect(cluster.database_url) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        backup.source = _totals(conn.execute(TOTALS_SQL).fetchone())
        subprocess.run(
            [f"{pg_bin}/pg_dump", "-Fc", "--snapshot", snapshot, "-f", str(dump),
             cluster.database_url],
            check=True, capture_output=True,
        )  # fmt: skip
        conn.rollback()
    backup.seconds = time.monotonic() - start
    backup.size = dump.stat().st_size
    restored_url = cluster.database_url.rsplit("/", 1)[0] + "/brokerage_restored"
    admin = cluster.database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS brokerage_restored")
        conn.execute("CREATE DATABASE brokerage_restored")
    subprocess.run(
        [f"{pg_bin}/pg_restore", "--no-owner", "-d", restored_url, str(dump)],
        check=True, capture_output=True,
    )  # fmt: skip
    with psycopg.connect(restored_url) as conn:
        backup.restored = _totals(conn.execute(TOTALS_SQL).fetchone())
    done = subprocess.run(
        [orders.PYTHON, "manage.py", "audit_ledger"], cwd=orders.ROOT,
        env={**cluster.app_env(), "DATABASE_URL": restored_url}, capture_output=True, text=True,
    )  # fmt: skip
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("VIOLATION:")]
    backup.violations = len(lines) if (lines or done.returncode == 0) else 1
    for line in lines[:10]:
        print(f"    restored: {line}")


async def fault_backup(cluster: Cluster, stop, rec: Record, args) -> None:
    """While trading runs: a backup, restored and audited (see `take_backup`)."""
    start = time.monotonic()
    await asyncio.to_thread(take_backup, cluster, args.backup)
    rec.windows.append((start, time.monotonic()))
    await stop.wait()


RUN = {
    "kill-app": fault_kill_app,
    "cut-app-db": fault_cut_app_db,
    "cut-beat": fault_cut_beat,
    "freeze-redis": fault_freeze_redis,
    "restart-redis": fault_restart_redis,
    "restart-postgres": fault_restart_postgres,
    "loss": fault_loss,
    "none": fault_none,
    "backup": fault_backup,
}


# --------------------------------------------------------------------------- one scenario
@dataclass
class Result:
    name: str
    log: chaos.Log
    rec: Record
    recon: chaos.Reconciliation | None = None
    violations: int = 0
    auctions: dict = field(default_factory=dict)
    lateness_ms: list[int] = field(default_factory=list)
    watchers: int = 0
    watchers_missed: int = 0
    watcher_notes: list[str] = field(default_factory=list)
    served_again: float = 0.0
    seconds_to_503: float = 0.0
    backup: Backup | None = None

    @property
    def other_5xx(self) -> int:
        return sum(n for status, n in self.log.server_errors.items() if status != 503)

    @property
    def failed(self) -> bool:
        r = self.recon
        return bool(
            r is None or r.lost or r.phantom or self.violations or self.watchers_missed
            or self.auctions.get("open") or self.auctions.get("twice")
            or (self.backup is not None and (
                self.backup.violations or self.backup.source != self.backup.restored))
        )  # fmt: skip


async def _scenario(name: str, cluster: Cluster, keys, args) -> Result:
    log, rec = chaos.Log(), Record()
    host = cluster.addr("lb")
    clients = [LbClient(host, k, i, rec) for i, k in enumerate(keys)]
    auctions = await chaos._create_auctions(clients[0], log, args.seconds, args)
    log.auctions = len(auctions)
    ws_url = f"ws://{host}/ws/"
    watchers = [
        Watcher(keys[1 + i % (len(keys) - 1)], orders.SYMBOLS[i % len(orders.SYMBOLS)])
        for i in range(args.watchers)
    ]
    stop_watch = asyncio.Event()
    watching = [asyncio.create_task(_watch(w, ws_url, stop_watch)) for w in watchers]
    deadline = time.monotonic() + args.seconds
    stop = asyncio.Event()

    async def faults() -> None:
        await asyncio.sleep(3.0)
        task = asyncio.create_task(RUN[name](cluster, stop, rec, args))
        await asyncio.sleep(max(0.0, deadline - time.monotonic() - 3.0))
        stop.set()
        await task

    await asyncio.gather(
        faults(),
        *(
            chaos._client(i, c, name, deadline, log, auctions if i else [], args)
            for i, c in enumerate(clients)
        ),
    )
    result = Result(name, log, rec)
    await asyncio.to_thread(_quiet, cluster, args)
    # The watchers catch up, then each is held against the server: every orders seq since its
    # first snapshot, and the book as REST shows it.
    await asyncio.sleep(3.0)
    for w in watchers:
        final = await _current_orders_seq(ws_url, w.key)
        rest = await _rest_book(host, w.key, w.symbol)
        expected = set(range((w.first_seq or 0) + 1, final + 1))
        missing = expected - w.seqs
        book_ok = w.stream is not None and _book_matches(w.stream, rest, w.symbol)
        result.watchers += 1
        if missing or not book_ok or w.first_seq is None:
            result.watchers_missed += 1
            result.watcher_notes.append(
                f"watcher on {w.symbol}: {len(missing)} orders seqs missing "
                f"{sorted(missing)[:5]}, book {'equal' if book_ok else 'DIFFERENT'} to REST"
            )
        result.watcher_notes.append(
            f"watcher {w.key[0][:8]}: {w.connects} connections, {w.resyncs} resyncs, "
            f"orders seq {w.first_seq}..{final}"
        )
    stop_watch.set()
    await asyncio.gather(*watching)
    result.auctions, result.lateness_ms = _auctions(cluster, auctions)
    result.served_again, result.seconds_to_503 = _service_figures(rec)
    return result


def _service_figures(rec: Record) -> tuple[float, float]:
    """(the longest any client waited, from a fault's start, for a 2xx to a request it sent
    after that start; the longest a 503 took to come)."""
    served = 0.0
    by_client: dict[int, list[tuple[float, float]]] = {}
    for client, start, end, status in rec.requests:
        if status is not None and 200 <= status < 300:
            by_client.setdefault(client, []).append((start, end))
    for window_start, _ in rec.windows:
        for answers in by_client.values():
            after = [end for start, end in answers if start >= window_start]
            if after:
                served = max(served, min(after) - window_start)
    slowest_503 = max(
        (end - start for _, start, end, status in rec.requests if status == 503), default=0.0
    )
    return served, slowest_503


AUCTIONS_SQL = """
SELECT a.id, a.status, a.close_lateness_ms,
       (SELECT count(*) FROM trading_trade t WHERE t.auction_id = a.id)
FROM trading_auction a WHERE a.id = ANY(%s)
"""


def _auctions(cluster: Cluster, ids: list[int]) -> tuple[dict, list[int]]:
    import psycopg

    with psycopg.connect(cluster.database_url) as conn:
        rows = conn.execute(AUCTIONS_SQL, (ids,)).fetchall()
    counts = Counter(status for _, status, _, _ in rows)
    return (
        {
            "made": len(ids),
            "closed": counts["closed"],
            "no_sale": counts["no_sale"],
            "open": counts["open"] + counts["scheduled"],
            "twice": sum(prints > 1 for *_, prints in rows),
        },
        [late for _, _, late, _ in rows if late is not None],
    )


def _quiet(cluster: Cluster, args) -> None:
    """Both app hosts up and answering through the load balancer, the due auctions closed."""
    import psycopg

    for app in cluster.apps:
        if not cluster.pids(app):
            cluster.start_app(app)
        cluster.wait_app(app)
    cluster.wait_lb()
    deadline = time.monotonic() + args.settle
    while time.monotonic() < deadline:
        with psycopg.connect(cluster.database_url) as conn:
            row = conn.execute(chaos.OPEN_AUCTIONS_SQL).fetchone()
        if not row or not row[0]:
            return
        time.sleep(0.5)


# --------------------------------------------------------------------------- checks, report
def _orders_in_db(cluster: Cluster, clients: int) -> dict[str, chaos.OrderRow]:
    import psycopg

    users = [f"bench{i:03d}" for i in range(clients)]
    with psycopg.connect(cluster.database_url) as conn:
        rows = conn.execute(chaos.ORDERS_SQL, (users,)).fetchall()
    return {r[0]: chaos.OrderRow(*r[1:]) for r in rows}


def _audit(cluster: Cluster) -> tuple[int, list[str]]:
    done = subprocess.run(
        [orders.PYTHON, "manage.py", "audit_ledger"], cwd=orders.ROOT, env=cluster.app_env(),
        capture_output=True, text=True,
    )  # fmt: skip
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("VIOLATION:")]
    if done.returncode and not lines:
        lines = [f"audit_ledger exited {done.returncode}: {done.stderr.strip()[-500:]}"]
    return len(lines), lines


def _p99(values: list[float]) -> float:
    return orders._percentile(values, 0.99) if values else 0.0


HEADER = (
    f"{'fault':<17} {'requests':>8} {'placed':>6} {'acked':>6} {'lost':>4} {'phantom':>7} "
    f"{'violations':>10} {'5xx!503':>7} {'503':>4} {'auctions':>8} {'twice':>5} {'open':>4} "
    f"{'late p99 s':>10} {'ws missed':>9} {'served again s':>14}"
)


def _line(r: Result) -> str:
    rc = r.recon or chaos.Reconciliation()
    return (
        f"{r.name:<17} {r.log.requests:>8} {rc.attempted:>6} {rc.acknowledged:>6} "
        f"{len(rc.lost):>4} {len(rc.phantom):>7} {r.violations:>10} {r.other_5xx:>7} "
        f"{r.log.server_errors.get(503, 0):>4} {r.auctions.get('made', 0):>8} "
        f"{r.auctions.get('twice', 0):>5} {r.auctions.get('open', 0):>4} "
        f"{_p99(r.lateness_ms) / 1000:>10.2f} {r.watchers_missed:>4} of {r.watchers:<2} "
        f"{r.served_again:>14.1f}"
    )


def _report(r: Result) -> None:
    rc = r.recon or chaos.Reconciliation()
    print(HEADER)
    print(_line(r), flush=True)
    details = list(r.rec.notes)
    details.append(
        f"rejected {rc.rejected}, in doubt {rc.in_doubt} (dup {rc.in_doubt_committed}), "
        f"unknown {rc.unknown} (exist {rc.unknown_found}); cancels acked "
        f"{rc.cancels_acknowledged}; bids {dict(r.log.bids)}"
    )
    if r.log.server_errors:
        details.append(f"5xx by status {dict(r.log.server_errors)}; slowest 503 "
                       f"{r.seconds_to_503:.1f} s")  # fmt: skip
    a = r.auctions
    late = sorted(r.lateness_ms)
    details.append(
        f"auctions: {a.get('closed', 0)} sold, {a.get('no_sale', 0)} no sale, {a.get('open', 0)} "
        f"left open, {a.get('twice', 0)} printed twice; close lateness ms "
        f"p50 {orders._percentile(late, 0.5) if late else 0}, max {max(late, default=0)}"
    )
    times = [p.seconds for p in r.log.placements]
    if times:
        details.append(
            f"placement, retries included: p50 {orders._percentile(times, 0.5) * 1000:.0f} ms, "
            f"p99 {_p99(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
        )
    details += r.watcher_notes
    if r.backup is not None:
        b = r.backup
        details.append(
            f"backup: pg_dump of {b.size / 1e6:.1f} MB in {b.seconds:.1f} s while trading; "
            f"restored: {b.violations} violations; totals at the snapshot {b.source}; "
            f"restored {'EQUAL' if b.source == b.restored else 'DIFFERENT: ' + str(b.restored)}"
        )
    for line in details:
        print(f"    {line}")
    for problem in (rc.lost + rc.phantom)[:20]:
        print(f"    PROBLEM {problem}")
    print(flush=True)


# --------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--faults", default=",".join((*FAULTS, "backup")),
        help=f"comma-separated, in order: {', '.join(FAULTS + EXTRA)}",
    )  # fmt: skip
    parser.add_argument("--seconds", type=float, default=40.0, help="of load per fault")
    parser.add_argument("--down-seconds", type=float, default=15.0, help="a host down or cut")
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--watchers", type=int, default=4, help="websocket clients")
    parser.add_argument("--web", type=int, default=1, help="daphne processes per app host")
    parser.add_argument("--symbols", type=int, default=4)
    parser.add_argument("--auctions", type=int, default=6, help="per fault")
    parser.add_argument("--bid-share", type=float, default=0.05)
    parser.add_argument("--refused-share", type=float, default=0.03)
    parser.add_argument("--freeze-every", type=float, default=8.0)
    parser.add_argument("--freeze-seconds", type=float, default=3.0)
    parser.add_argument("--restart-every", type=float, default=12.0)
    parser.add_argument("--loss", type=float, default=0.1, help="share of packets dropped")
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--tries", type=int, default=10)
    parser.add_argument("--settle", type=float, default=30.0)
    parser.add_argument("--name", default="bk")
    parser.add_argument("--subnet", default="10.77.0")
    parser.add_argument("--keep", action="store_true", help="leave the cluster up at the end")
    args = parser.parse_args(argv)
    args.faults = [f.strip() for f in args.faults.split(",") if f.strip()]
    unknown = [f for f in args.faults if f not in RUN]
    if unknown:
        parser.error(f"unknown fault(s) {unknown}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    why = missing_requirements()
    if why:
        sys.exit(f"cluster_chaos: {why}")
    orders.SYMBOLS[:] = orders._symbols(args.symbols)
    cluster = Cluster(
        args.name, args.subnet, args.web,
        env={"PRICE_PULL_SECONDS": "2", "AUCTION_SOFT_CLOSE_SECONDS": "0",
             "API_RATE_LIMIT": "off"},
    )  # fmt: skip
    results: list[Result] = []
    started = time.monotonic()
    try:
        cluster.up()
        seed = [orders.PYTHON, orders.__file__, "--seed-only", str(args.clients),
                "--symbols", str(args.symbols)]  # fmt: skip
        keys = [tuple(k) for k in json.loads(orders._run(seed, cluster.app_env()).splitlines()[-1])]
        print(
            f"cluster up in {time.monotonic() - started:.0f} s: {cluster.url} -> app1, app2 "
            f"({args.web} daphne each, worker, beat), db; {args.clients} API traders, "
            f"{args.watchers} websocket watchers, {args.auctions} auctions a fault, "
            f"{args.seconds:.0f} s a fault; load average {os.getloadavg()[0]:.2f}\n",
            flush=True,
        )
        sent: set[str] = set()
        reported: set[str] = set()
        for name in args.faults:
            args.backup = Backup() if name == "backup" else None
            result = asyncio.run(_scenario(name, cluster, keys, args))
            result.backup = args.backup
            sent.update(p.client_order_id for p in result.log.placements)
            in_db = _orders_in_db(cluster, args.clients)
            strays = sorted(set(in_db) - sent - reported)
            reported.update(strays)
            result.recon = chaos.reconcile(result.log.placements, result.log.cancels, in_db, strays)
            result.violations, lines = _audit(cluster)
            for line in lines[:20]:
                print(f"    {line}")
            results.append(result)
            _report(result)
    except KeyboardInterrupt:
        print("\ninterrupted: tearing the cluster down", file=sys.stderr)
        return 130
    finally:
        if not args.keep:
            cluster.down()
    print(f"load average at the end {os.getloadavg()[0]:.2f}; "
          f"{time.monotonic() - started:.0f} s in all")  # fmt: skip
    print(HEADER)
    for r in results:
        print(_line(r))
    failed = [r.name for r in results if r.failed]
    print(f"\nFAILED: {', '.join(failed)}" if failed else
          "\nno order lost, no phantom, ledger clean, every auction closed once, "
          "no watcher missed a message")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
