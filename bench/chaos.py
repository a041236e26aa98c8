"""Faults under load: kill -9 daphne, kill -9 the Celery worker, terminated database backends,
a frozen Redis; a bid raise refused for cash mid-auction, websocket floods on every endpoint,
one key looping the heaviest read; after each, the ledger audit and a check of every order a
client was told about.

    .venv/bin/python bench/chaos.py                                  # all seven, 30 s each
    .venv/bin/python bench/chaos.py --scenarios kill-web,freeze-redis --seconds 60

It starts a stack of its own, the way `runstack` and the Procfile do: a private `redis-server`
on a free port (never the shared one: freezing that would freeze everybody's), a fresh
PostgreSQL database (`chaos_bench`, dropped at the end), `--workers` daphne processes on one
listening socket held by this script, a Celery worker and beat. Users, keys, stocks and a book
come from `bench/api_orders.py`'s seed. N clients place limit orders over HTTP with API keys
(about 40% cross and trade), each with its own `client_order_id`, cancel their oldest open
order when they hold more than four, bid in short auctions the Celery worker closes, and retry
what got no answer (same `client_order_id`, backoff).

Each scenario runs under that load for `--seconds`, then the stack is brought back to quiet and
checked: `manage.py audit_ledger`, every auction due is closed, and every placement reconciled
by its `client_order_id` with the database (see `reconcile`). Prints a row per scenario and the
totals; exits 1 on any lost order, phantom order, ledger violation or auction left open.
Every process it started is stopped, also on Ctrl-C; children die with it even on kill -9.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_orders as orders

PYTHON = orders.PYTHON
ROOT = orders.ROOT
SCENARIOS = (
    "kill-web", "kill-worker", "kill-backends", "freeze-redis",
    "refused-raise", "flood", "heavy-reads",
)  # fmt: skip
EXTRA_SCENARIOS = ("none",)  # the same load with no fault: a baseline
TERMINAL = ("filled", "canceled", "expired", "rejected", "replaced")
OPEN = ("new", "partially_filled")

# A request's answer, as far as the client can tell.
OK, DUPLICATE, REFUSED, UNSENT, UNKNOWN = "ok", "duplicate", "refused", "unsent", "unknown"


# --------------------------------------------------------------------------- the accounting
@dataclass
class Placement:
    """One order a client meant to place, under one client_order_id, over all its tries."""

    client_order_id: str
    symbol: str
    side: str
    qty: int
    limit_price: str
    tries: list[str] = field(default_factory=list)
    ack: dict | None = None  # the order as a 2xx answer showed it
    refusal: str = ""
    seconds: float = 0.0  # from the first try to the last answer, retries included

    @property
    def outcome(self) -> str:
        """acknowledged, rejected (definitely not created) or unknown.

        A 422 duplicate_client_order_id after a try that got no answer says the first try
        created it: acknowledged. A definite refusal counts only if no earlier try may have
        created the order (a 403 after a lost answer may be the first order's reservation).
        A try that was never sent (no connection) or was throttled created nothing.
        """
        if self.ack is not None or DUPLICATE in self.tries:
            return "acknowledged"
        maybe_created = UNKNOWN in self.tries
        if not maybe_created and (not self.tries or self.tries[-1] in (REFUSED, UNSENT)):
            return "rejected"
        return "unknown"


@dataclass
class Cancel:
    order_id: str
    tries: list[str] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return OK in self.tries

    @property
    def unknown(self) -> bool:
        return not self.tries or self.tries[-1] == UNKNOWN


@dataclass(frozen=True)
class OrderRow:
    id: str
    symbol: str
    side: str
    qty: int
    limit_price: Decimal | None
    status: str
    filled_qty: int


@dataclass
class Reconciliation:
    attempted: int = 0
    acknowledged: int = 0
    rejected: int = 0
    in_doubt: int = 0  # a try got no definite answer (reset, timeout, 5xx): checked by id
    in_doubt_committed: int = 0  # ... and a retry was told duplicate_client_order_id
    unknown: int = 0  # never got a definite answer, however often tried
    unknown_found: int = 0  # unknowns that turned out to exist: legitimately so
    cancels: int = 0
    cancels_acknowledged: int = 0
    cancels_unknown: int = 0
    lost: list[str] = field(default_factory=list)
    phantom: list[str] = field(default_factory=list)


def reconcile(
    placements: Iterable[Placement],
    cancels: Iterable[Cancel],
    rows: Mapping[str, OrderRow],
    strays: Iterable[str] = (),
) -> Reconciliation:
    """Hold what clients were told against the database (`rows` by client_order_id).

    Lost: an acknowledged order missing, stored other than placed, less filled than the answer
    said, or out of the final state it was answered in; an acknowledged cancel of an order not
    canceled. Phantom: an order in the database whose placement was definitely refused, or whose
    client_order_id no client ever sent (`strays`). Unknowns are counted, with how many exist.
    """
    result = Reconciliation()
    by_id = {row.id: row for row in rows.values()}
    for p in placements:
        result.attempted += 1
        row = rows.get(p.client_order_id)
        outcome = p.outcome
        if UNKNOWN in p.tries:
            result.in_doubt += 1
            result.in_doubt_committed += DUPLICATE in p.tries
        if outcome == "rejected":
            result.rejected += 1
            if row is not None:
                result.phantom.append(
                    f"{p.client_order_id}: refused ({p.refusal or p.tries}) but stored as "
                    f"{row.id}, {row.status}"
                )
            continue
        if outcome == "unknown":
            result.unknown += 1
            result.unknown_found += row is not None
            continue
        result.acknowledged += 1
        if row is None:
            result.lost.append(f"{p.client_order_id}: acknowledged but not in the database")
            continue
        problems = _differences(p, row)
        if problems:
            result.lost.append(f"{p.client_order_id}: {'; '.join(problems)}")
    for c in cancels:
        result.cancels += 1
        if c.acknowledged:
            result.cancels_acknowledged += 1
            row = by_id.get(c.order_id)
            if row is None or row.status != "canceled":
                state = "missing" if row is None else row.status
                result.lost.append(f"cancel of {c.order_id} acknowledged, order {state}")
        elif c.unknown:
            result.cancels_unknown += 1
    for client_order_id in strays:
        result.phantom.append(f"{client_order_id}: stored, but no client ever sent it")
    return result


def _differences(p: Placement, row: OrderRow) -> list[str]:
    """How the stored order contradicts what was placed and what its answer said."""
    found = []
    stored = (row.symbol, row.side, row.qty, row.limit_price)
    placed = (p.symbol, p.side, p.qty, Decimal(p.limit_price))
    if stored != placed:
        found.append(f"placed as {placed}, stored as {stored}")
    if p.ack is None:  # acknowledged by a duplicate_client_order_id: existing is all it said
        return found
    if p.ack["id"] != row.id:
        found.append(f"answered id {p.ack['id']}, stored {row.id}")
    if row.filled_qty < int(p.ack["filled_qty"]):
        found.append(f"answered {p.ack['filled_qty']} filled, stored {row.filled_qty}")
    if p.ack["status"] in TERMINAL and row.status != p.ack["status"]:
        found.append(f"answered {p.ack['status']}, stored {row.status}")
    return found


@dataclass
class Log:
    """What one scenario's clients did and saw."""

    placements: list[Placement] = field(default_factory=list)
    cancels: list[Cancel] = field(default_factory=list)
    requests: int = 0
    bids: Counter = field(default_factory=Counter)  # answers to bids, by status
    server_errors: Counter = field(default_factory=Counter)  # 5xx answers, by status
    faults: int = 0  # kills, terminated backends, freezes
    auctions: int = 0  # created for the scenario (each due before its checks)
    fault_notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- the stack
def _die_with_parent() -> None:
    """In a child: SIGKILL when this script dies, however it dies (prctl PR_SET_PDEATHSIG)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """The processes this script started, by name; each in a session (process group) of its
    own, so that a kill reaches a Celery worker's pool children too, and nothing else."""

    def __init__(self, args: argparse.Namespace, var_dir: str) -> None:
        self.args = args
        self.var_dir = var_dir
        self.procs: dict[str, subprocess.Popen] = {}
        # Set per scenario: the clients' keys, the port, the scenario's auctions.
        self.keys: list = []
        self.port = 0
        self.auction_ids: list[int] = []
        self.redis_port = _free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.listener: socket.socket | None = None
        self.env: dict[str, str] = {}
        self.frozen = False

    @staticmethod
    def _popen() -> dict:
        return {"start_new_session": True, "preexec_fn": _die_with_parent}

    def start_redis(self) -> None:
        self.procs["redis"] = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.var_dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **self._popen(),
        )  # fmt: skip
        for _ in range(100):
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.5) as s,
            ):
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        sys.exit("the private redis-server did not start")

    def listen(self) -> int:
        self.listener = orders._listen(self.args.port)
        return self.listener.getsockname()[1]

    def start_web(self, i: int) -> None:
        assert self.listener is not None
        self.procs[f"web{i}"] = orders._spawn_daphne(
            self.listener.fileno(), self.env, self.args.verbose, **self._popen()
        )

    def start_worker(self) -> None:
        # As the Procfile runs it (prefork, two children), at a quieter log level.
        self._celery("worker", ["worker", "--concurrency", "2", "--without-gossip",
                                "--without-mingle"])  # fmt: skip

    def start_beat(self) -> None:
        self._celery("beat", ["beat", "--schedule", str(Path(self.var_dir) / "beat")])

    def _celery(self, name: str, cmd: list[str]) -> None:
        out = None if self.args.verbose else subprocess.DEVNULL
        self.procs[name] = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "brokerage", *cmd, "--loglevel", "WARNING"],
            cwd=ROOT, env=self.env, stdout=out, stderr=out, **self._popen(),
        )  # fmt: skip

    def web_names(self) -> list[str]:
        return [f"web{i}" for i in range(self.args.workers)]

    def kill(self, name: str) -> None:
        """kill -9 the process and its group, and reap it."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def freeze_redis(self, frozen: bool) -> None:
        os.kill(self.procs["redis"].pid, signal.SIGSTOP if frozen else signal.SIGCONT)
        self.frozen = frozen

    def dead(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    def stop(self) -> None:
        """Stop everything: web first, then the clock and worker, Redis last."""
        if self.frozen:
            self.freeze_redis(False)
        order = [*self.web_names(), "beat", "worker", "redis"]
        names = [n for n in order if n in self.procs] + [n for n in self.procs if n not in order]
        for name in names:
            proc = self.procs[name]
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name in names:
            proc = self.procs[name]
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            # Whatever is left of the group (a pool child, a hung process) goes too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        if self.listener is not None:
            self.listener.close()


def _database_url(args: argparse.Namespace, name: str) -> str:
    return urlunsplit(urlsplit(args.db_url)._replace(path=f"/{name}"))


def _drop_database(args: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(_database_url(args, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')


# --------------------------------------------------------------------------- the clients
@dataclass
class Reply:
    status: int | None  # None: no answer
    body: bytes = b""
    sent: bool = True  # False: no connection was made, nothing reached a server


class Client(orders.Connection):
    """`api_orders.Connection` with a timeout, and a fresh connection after any failure."""

    def drop(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def send(self, method: str, path: str, body: dict | None, timeout: float) -> Reply:
        if self.writer is None:
            try:
                self.reader, self.writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), timeout
                )
            except (OSError, TimeoutError):
                return Reply(None, sent=False)
        try:
            status, data = await asyncio.wait_for(self.request(method, path, body), timeout)
        except (OSError, TimeoutError, EOFError, ValueError, IndexError):
            # Reset, closed or silent after the request went out: it may have been served.
            self.drop()
            return Reply(None)
        return Reply(status, data)


def _code(reply: Reply) -> str:
    try:
        return str(json.loads(reply.body).get("code", ""))
    except (ValueError, AttributeError):
        return ""


async def _call(client: Client, log: Log, method: str, path: str, body: dict | None, args):
    """Send until a definite answer, retrying (with backoff) what got none, 5xx and 429;
    yields each try's (reply, kind) so the caller records every one."""
    for attempt in range(args.tries):
        reply = await client.send(method, path, body, args.timeout)
        log.requests += reply.sent
        if reply.status is None:
            kind = UNKNOWN if reply.sent else UNSENT
        elif reply.status >= 500:
            log.server_errors[reply.status] += 1
            kind = UNKNOWN  # a 503 at COMMIT may follow a commit: not a refusal
        elif reply.status == 429:
            kind = UNSENT  # throttled before any view ran
        else:
            yield reply, None
            return
        yield reply, kind
        await asyncio.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))


async def _place(client: Client, log: Log, p: Placement, args) -> None:
    body = {
        "symbol": p.symbol, "side": p.side, "type": "limit", "time_in_force": "gtc",
        "qty": str(p.qty), "limit_price": p.limit_price, "client_order_id": p.client_order_id,
    }  # fmt: skip
    async for reply, kind in _call(client, log, "POST", "/api/v1/orders", body, args):
        if kind is not None:
            p.tries.append(kind)
            continue
        assert reply.status is not None
        if 200 <= reply.status < 300:
            try:
                p.ack = json.loads(reply.body)
                p.tries.append(OK)
            except ValueError:
                p.tries.append(UNKNOWN)
        elif reply.status == 422 and _code(reply) == "duplicate_client_order_id":
            p.tries.append(DUPLICATE)
        else:
            p.tries.append(REFUSED)
            p.refusal = f"{reply.status} {_code(reply)}"


async def _cancel(client: Client, log: Log, c: Cancel, args) -> None:
    path = f"/api/v1/orders/{c.order_id}"
    async for reply, kind in _call(client, log, "DELETE", path, None, args):
        if kind is not None:
            c.tries.append(kind)
        else:
            assert reply.status is not None
            # 422: filled or canceled meanwhile (perhaps by a try whose answer was lost).
            c.tries.append(OK if 200 <= reply.status < 300 else REFUSED)


async def _bid(client: Client, log: Log, auction_id: int, rng: random.Random, args) -> None:
    price = f"{50 + rng.randint(0, 4000) / 100:.2f}"
    path = f"/api/v1/auctions/{auction_id}/bids"
    async for reply, kind in _call(client, log, "POST", path, {"max_price": price}, args):
        log.bids[reply.status if kind is None else kind] += 1


async def _client(i: int, client: Client, name: str, deadline: float, log: Log, auctions, args):
    rng = random.Random(f"{name}-{i}")
    mine: list[str] = []
    n = 0
    while time.monotonic() < deadline:
        if auctions and rng.random() < args.bid_share:
            await _bid(client, log, rng.choice(auctions), rng, args)
            continue
        n += 1
        cents = orders.MID + rng.randint(-20, 20)
        p = Placement(
            client_order_id=f"chaos-{name}-{i:03d}-{n:06d}",
            symbol=rng.choice(orders.SYMBOLS),
            side=rng.choice(("buy", "sell")),
            qty=rng.randint(1, 5),
            limit_price=f"{cents // 100}.{cents % 100:02d}",
        )
        if rng.random() < args.refused_share:
            # Beyond any account's cash or shares: refused inside the order transaction, after
            # its locks, so a refusal that left a row behind would show as a phantom.
            p.qty = 2_000_000
        log.placements.append(p)
        start = time.perf_counter()
        await _place(client, log, p, args)
        p.seconds = time.perf_counter() - start
        if p.ack is not None and p.ack["status"] in OPEN:
            mine.append(p.ack["id"])
        if len(mine) > 4:
            c = Cancel(order_id=mine.pop(0))
            log.cancels.append(c)
            await _cancel(client, log, c, args)
    client.drop()


async def _create_auctions(client: Client, log: Log, seconds: float, args) -> list[int]:
    """Short auctions by client 0 (a seller: the others bid), ending during the scenario."""
    made = []
    for k in range(args.auctions):
        duration = max(10, int(8 + k * (seconds - 12) / max(1, args.auctions - 1)))
        body = {"symbol": orders.SYMBOLS[k % len(orders.SYMBOLS)], "qty": "10",
                "reserve_price": "60.00", "start_price": "50.00", "duration_seconds": duration}  # fmt: skip
        reply = await client.send("POST", "/api/v1/auctions", body, args.timeout)
        log.requests += 1
        if reply.status == 201:
            made.append(int(json.loads(reply.body)["id"]))
    client.drop()
    return made


# --------------------------------------------------------------------------- the faults
async def _pause(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep, or return early (False) when the scenario is over."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return not stop.is_set()


async def _kill_web(stack: Stack, stop: asyncio.Event, log: Log, args) -> None:
    names = stack.web_names()
    while await _pause(stop, args.kill_every):
        name = names[log.faults % len(names)]
        stack.kill(name)  # in-flight requests die with it; new ones wait in the backlog
        log.faults += 1
        await asyncio.sleep(args.restart_after)  # a supervisor's restart delay
        stack.start_web(int(name.removeprefix("web")))


async def _kill_worker(stack: Stack, stop: asyncio.Event, log: Log, args) -> None:
    while await _pause(stop, args.kill_every):
        stack.kill("worker")
        log.faults += 1
        await asyncio.sleep(args.restart_after)
        stack.start_worker()


TERMINATE = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'
"""


async def _kill_backends(stack: Stack, stop: asyncio.Event, log: Log, args) -> None:
    import psycopg

    def terminate() -> int:
        with psycopg.connect(_database_url(args, "postgres"), autocommit=True) as conn:
            row = conn.execute(TERMINATE, (args.db_name,)).fetchone()
            return int(row[0]) if row else 0

    terminated: list[str] = []
    while await _pause(stop, args.terminate_every):
        killed = await asyncio.to_thread(terminate)
        log.faults += 1
        terminated.append(str(killed))
    log.fault_notes.append(f"backends terminated per round {', '.join(terminated)}")


async def _freeze_redis(stack: Stack, stop: asyncio.Event, log: Log, args) -> None:
    while await _pause(stop, args.freeze_every):
        stack.freeze_redis(True)
        log.faults += 1
        try:
            await asyncio.sleep(args.freeze_seconds)
        finally:
            stack.freeze_redis(False)


async def _no_fault(stack: Stack, stop: asyncio.Event, log: Log, args) -> None:
    await stop.wait()


async def _refused_raise(stack: Stack, stop: asyncio.Event, log: Log, args) -> None:
    """A bidder leads, then raises past its buying power (403) while others keep bidding: the
    refused raise must leave its standing bid and reservation whole (the audit and the
    closes after the scenario check it). Resting buy orders first hold all but about $950 of
    its cash, so a lead of $95 a share (10 shares) fits and a raise to $109 does not."""
    key_id, secret = stack.keys[-1]
    me = Client(stack.port, key_id, secret)
    refused = tried = 0
    answers: Counter = Counter()

    async def call(method: str, path: str, body: dict | None = None) -> tuple[int | None, dict]:
        reply = await me.send(method, path, body, args.timeout)
        log.requests += 1
        try:
            return reply.status, json.loads(reply.body) if reply.body else {}
        except ValueError:
            return reply.status, {}

    async def hold_all_but(keep: Decimal) -> list[str]:
        # Placed as any client's orders are (a client_order_id, retries, reconciled after);
        # each order holds most of what is left, until less than one more share's worth is.
        held = []
        for _ in range(8):
            status, account = await call("GET", "/api/v1/account")
            free = Decimal(account.get("buying_power", "0")) if status == 200 else Decimal(0)
            qty = int((free - keep) / Decimal("96.00") * Decimal("0.999"))
            if qty < 1:
                break
            p = Placement(
                client_order_id=f"chaos-refused-raise-hold-{len(log.placements):06d}",
                # Under the book's bids, inside the band while the simulated reference walks.
                symbol=orders.SYMBOLS[0], side="buy", qty=qty, limit_price="96.00",
            )  # fmt: skip
            log.placements.append(p)
            await _place(me, log, p, args)
            if p.ack is not None and p.ack["status"] in OPEN:
                held.append(p.ack["id"])
        return held

    done: set[int] = set()  # once it has led there, it may only raise: one try an auction
    while await _pause(stop, 1.0):
        for auction_id in [a for a in stack.auction_ids if a not in done]:
            status, auction = await call("GET", f"/api/v1/auctions/{auction_id}")
            lowest = Decimal(auction.get("min_next_bid") or "999") if status == 200 else None
            if lowest is None or lowest > 95:
                continue
            # Above every maximum the other clients bid (50-90), so it leads; 10 shares at
            # 95.00 fit in what is kept free, a raise to 109.00 does not.
            lead = Decimal("95.00")
            held = await hold_all_but(Decimal("950"))
            led, led_body = await call(
                "POST", f"/api/v1/auctions/{auction_id}/bids", {"max_price": str(lead)}
            )
            raised, raised_body = await call(
                "POST", f"/api/v1/auctions/{auction_id}/bids", {"max_price": "109.00"}
            )
            leading = led == 201 and led_body.get("status") == "leading"
            tried += 1
            refused += leading and raised == 403
            if led == 201:
                done.add(auction_id)
            answers[f"lead {led} {led_body.get('code') or led_body.get('status', '')}"] += 1
            answers[f"raise {raised} {raised_body.get('code', '')}".strip()] += 1
            for order_id in held:
                c = Cancel(order_id=order_id)
                log.cancels.append(c)
                await _cancel(me, log, c, args)
            log.faults += 1
    me.drop()
    log.fault_notes.append(
        f"raises refused for cash while leading: {refused} of {tried} tried {dict(answers)}"
    )


def _rss_mb(stack: Stack) -> float:
    total = 0
    for name in stack.web_names():
        with open(f"/proc/{stack.procs[name].pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


async def _flood(stack: Stack, stop: asyncio.Event, log: Log, args) -> None:
    """Sockets that send as fast as they can without reading, on every endpoint: each must be
    closed (4008) before it grows the web processes; the orders go on meanwhile."""
    import websockets

    key_id, secret = stack.keys[-1]
    frames = {
        "/ws/": json.dumps({"action": "ping"}),
        "/stream": json.dumps({"action": "listen", "data": {"streams": []}}),
        "/v2/iex": json.dumps({"action": "auth", "key": key_id, "secret": secret}),
    }
    rss_before, codes, sent_total = _rss_mb(stack), Counter(), 0

    async def one(path: str) -> None:
        # 5,000 frames at once, then read until the server closes (a client that kept
        # sending would see a reset instead of the close frame: see test_live_limits.py).
        nonlocal sent_total
        try:
            async with websockets.connect(
                f"ws://127.0.0.1:{stack.port}{path}", max_queue=None, open_timeout=10
            ) as ws:
                for _ in range(5000):
                    await ws.send(frames[path])
                sent_total += 5000
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
        except websockets.ConnectionClosed as closed:
            codes[closed.rcvd.code if closed.rcvd else "reset"] += 1
        except (OSError, TimeoutError) as exc:
            codes[type(exc).__name__] += 1

    while await _pause(stop, 1.0):
        await asyncio.gather(*(one(path) for path in frames for _ in range(3)))
        log.faults += 1
    log.fault_notes.append(
        f"flood sockets closed by code {dict(codes)}; frames sent {sent_total}; web RSS "
        f"{rss_before:.0f} -> {_rss_mb(stack):.0f} MB"
    )


async def _heavy_reads(stack: Stack, stop: asyncio.Event, log: Log, args) -> None:
    """Another user's GET /api/v1/account timed on a connection of its own, first alone for
    a third of the time, then while one key loops the heaviest read (snapshots of every
    symbol): side by side, in one run."""
    heavy = Client(stack.port, *stack.keys[-1])
    probe = Client(stack.port, *stack.keys[-2])
    path = "/api/v2/stocks/snapshots?symbols=" + ",".join(orders.SYMBOLS)
    statuses: Counter = Counter()
    alone: list[float] = []
    beside: list[float] = []
    reads_ms: list[float] = []
    looping = asyncio.Event()

    async def loop_heavy() -> None:
        await asyncio.sleep(max(1.0, args.seconds / 3))
        looping.set()
        while not stop.is_set():
            start = time.perf_counter()
            reply = await heavy.send("GET", path, None, args.timeout)
            reads_ms.append((time.perf_counter() - start) * 1000)
            statuses[reply.status] += 1
            log.requests += 1

    async def loop_probe() -> None:
        while await _pause(stop, 0.05):
            start = time.perf_counter()
            reply = await probe.send("GET", "/api/v1/account", None, args.timeout)
            if reply.status == 200:
                (beside if looping.is_set() else alone).append((time.perf_counter() - start) * 1000)
            log.requests += 1

    await asyncio.gather(loop_heavy(), loop_probe())
    heavy.drop()
    probe.drop()
    log.faults += 1

    def figures(ms: list[float]) -> str:
        if not ms:
            return "no probes"
        p50, p99 = orders._percentile(ms, 0.5), orders._percentile(ms, 0.99)
        return f"{len(ms)} probes, p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(ms):.1f} ms"

    log.fault_notes.append(
        f"heavy read ({len(orders.SYMBOLS)} symbols): answers {dict(statuses)}, {figures(reads_ms)}"
    )
    log.fault_notes.append(f"another user's /account alone: {figures(alone)}")
    log.fault_notes.append(f"another user's /account beside the heavy loop: {figures(beside)}")


FAULTS = {
    "kill-web": _kill_web,
    "kill-worker": _kill_worker,
    "kill-backends": _kill_backends,
    "freeze-redis": _freeze_redis,
    "refused-raise": _refused_raise,
    "flood": _flood,
    "heavy-reads": _heavy_reads,
    "none": _no_fault,
}


async def _scenario(name: str, stack: Stack, keys, port: int, args) -> Log:
    log = Log()
    clients = [Client(port, k, s) for k, s in keys]
    auctions = await _create_auctions(clients[0], log, args.seconds, args) if args.auctions else []
    log.auctions = len(auctions)
    stack.keys, stack.port, stack.auction_ids = keys, port, auctions
    deadline = time.monotonic() + args.seconds
    stop = asyncio.Event()

    async def faults() -> None:
        # Load first, faults after a couple of seconds of it, none in the last two.
        await asyncio.sleep(min(2.0, args.seconds / 4))
        task = asyncio.create_task(FAULTS[name](stack, stop, log, args))
        await asyncio.sleep(max(0.0, deadline - time.monotonic() - 2.0))
        stop.set()
        await task

    await asyncio.gather(
        faults(),
        *(
            _client(i, c, name, deadline, log, auctions if i else [], args)
            for i, c in enumerate(clients)
        ),
    )
    return log


# --------------------------------------------------------------------------- the checks
ORDERS_SQL = """
SELECT o.client_order_id, o.id::text, s.symbol, o.side, o.qty, o.limit_price, o.status,
       o.filled_qty
FROM trading_order o JOIN accounts_user u ON u.id = o.user_id
JOIN marketdata_stock s ON s.id = o.stock_id
WHERE u.username = ANY(%s)
"""
OPEN_AUCTIONS_SQL = (
    "SELECT count(*) FROM trading_auction WHERE status IN ('scheduled', 'open') AND ends_at < now()"
)


def _orders_in_db(args) -> dict[str, OrderRow]:
    import psycopg

    users = [f"bench{i:03d}" for i in range(args.clients)]
    with psycopg.connect(_database_url(args, args.db_name)) as conn:
        rows = conn.execute(ORDERS_SQL, (users,)).fetchall()
    return {r[0]: OrderRow(*r[1:]) for r in rows}


def _open_auctions_due(args) -> int:
    import psycopg

    with psycopg.connect(_database_url(args, args.db_name)) as conn:
        row = conn.execute(OPEN_AUCTIONS_SQL).fetchone()
    return int(row[0]) if row else 0


def _audit(env: dict[str, str]) -> tuple[int, list[str]]:
    done = subprocess.run(
        [PYTHON, "manage.py", "audit_ledger"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("VIOLATION:")]
    if done.returncode and not lines:  # it did not run: that is no clean bill either
        lines = [f"audit_ledger exited {done.returncode}: {done.stderr.strip()[-500:]}"]
    return len(lines), lines


def _quiet(stack: Stack, port: int, key, args) -> None:
    """Everything up again, answering, and the worker working, before anything is checked."""
    for name in stack.dead():
        sys.exit(f"{name} is not running after the scenario (run with --verbose to see why)")
    workers = [stack.procs[n] for n in stack.web_names()]
    orders._wait_until_up(port, key, workers)
    # Due auctions closed: the worker (or a restarted one) and beat are back at work.
    deadline = time.monotonic() + args.settle
    while _open_auctions_due(args) and time.monotonic() < deadline:
        time.sleep(0.5)


@dataclass
class Row:
    name: str
    log: Log
    result: Reconciliation
    violations: int
    open_auctions: int

    @property
    def failed(self) -> bool:
        return bool(
            self.result.lost or self.result.phantom or self.violations or self.open_auctions
        )


HEADER = (
    f"{'scenario':<14} {'faults':>6} {'requests':>8} {'attempted':>9} {'acked':>6} "
    f"{'rejected':>8} {'in doubt':>8} {'(dup)':>5} {'unknown':>7} {'(exist)':>7} {'lost':>4} "
    f"{'phantom':>7} {'violations':>10} {'5xx':>4} {'cancels':>7} {'bids':>4} {'open':>4}"
)


def _line(name: str, rows: list[Row]) -> str:
    r = [row.result for row in rows]
    logs = [row.log for row in rows]
    bids = sum(sum(v for k, v in log.bids.items() if k == 201) for log in logs)
    return (
        f"{name:<14} {sum(lg.faults for lg in logs):>6} {sum(lg.requests for lg in logs):>8} "
        f"{sum(x.attempted for x in r):>9} {sum(x.acknowledged for x in r):>6} "
        f"{sum(x.rejected for x in r):>8} {sum(x.in_doubt for x in r):>8} "
        f"{sum(x.in_doubt_committed for x in r):>5} {sum(x.unknown for x in r):>7} "
        f"{sum(x.unknown_found for x in r):>7} {sum(len(x.lost) for x in r):>4} "
        f"{sum(len(x.phantom) for x in r):>7} {sum(row.violations for row in rows):>10} "
        f"{sum(sum(lg.server_errors.values()) for lg in logs):>4} "
        f"{sum(x.cancels_acknowledged for x in r):>7} {bids:>4} "
        f"{sum(row.open_auctions for row in rows):>4}"
    )


def _report(row: Row) -> None:
    log, result = row.log, row.result
    print(HEADER)
    print(_line(row.name, [row]), flush=True)
    details = []
    if log.server_errors:
        details.append(f"5xx by status {dict(log.server_errors)}")
    if log.fault_notes:
        details.extend(log.fault_notes)
    refusals = Counter(p.refusal for p in log.placements if p.outcome == "rejected")
    if refusals:
        details.append(f"refusals {dict(refusals)}")
    times = [p.seconds for p in log.placements]
    if times:
        p50, p99 = orders._percentile(times, 0.5), orders._percentile(times, 0.99)
        details.append(
            f"placement, retries included: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms"
        )
        slowest = max(log.placements, key=lambda p: p.seconds)
        if slowest.seconds > 5:
            details.append(f"slowest placement's tries: {slowest.tries} {slowest.refusal}")
    retried = sum(len(p.tries) > 1 for p in log.placements)
    details.append(
        f"placements retried {retried}; cancels {result.cancels} "
        f"({result.cancels_acknowledged} acked, {result.cancels_unknown} unknown)"
    )
    details.append(
        f"bid answers {dict(log.bids)}; {log.auctions} auctions, {row.open_auctions} left open"
    )
    for line in details:
        print(f"    {line}")
    for problem in (result.lost + result.phantom)[:20]:
        print(f"    PROBLEM {problem}")
    print(flush=True)


# --------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated, in order: {', '.join(SCENARIOS + EXTRA_SCENARIOS)}",
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="of load per scenario")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="daphne processes")
    parser.add_argument("--symbols", type=int, default=4)
    parser.add_argument("--auctions", type=int, default=4, help="short auctions per scenario")
    parser.add_argument("--bid-share", type=float, default=0.05, help="of client actions")
    parser.add_argument(
        "--refused-share", type=float, default=0.03, help="of placements, too big to be accepted"
    )
    parser.add_argument("--kill-every", type=float, default=6.0, help="kill-web, kill-worker")
    parser.add_argument("--restart-after", type=float, default=1.0)
    parser.add_argument("--terminate-every", type=float, default=2.0, help="kill-backends")
    parser.add_argument("--freeze-every", type=float, default=5.0, help="freeze-redis")
    parser.add_argument("--freeze-seconds", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=20.0, help="per request")
    parser.add_argument("--tries", type=int, default=10, help="per order, cancel or bid")
    parser.add_argument("--settle", type=float, default=30.0, help="max wait for due closes")
    parser.add_argument("--db-url", default="postgres://root@127.0.0.1:5432/")
    parser.add_argument("--db-name", default="chaos_bench")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--keep-db", action="store_true", help="leave the database to inspect")
    parser.add_argument("--verbose", action="store_true", help="show the servers' output")
    args = parser.parse_args(argv)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in args.scenarios if s not in FAULTS]
    if unknown or not args.scenarios:
        parser.error(f"unknown scenario(s) {unknown}; choose from {', '.join(FAULTS)}")
    if args.workers < 1 or args.clients < 2:
        parser.error("needs at least one daphne worker and two clients")
    args.maker_fee_bps = args.taker_fee_bps = "0"
    return args


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    orders.SYMBOLS[:] = orders._symbols(args.symbols)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-chaos-") as var_dir:
        stack = Stack(args, var_dir)
        try:
            stack.start_redis()
            args.redis_url = stack.redis_url
            stack.env = env = {
                **orders._server_env(args, var_dir),
                "CHANNEL_LAYER_PREFIX": "chaos",
                "PRICE_PULL_SECONDS": "2",
                "AUCTION_SOFT_CLOSE_SECONDS": "0",  # closes when scheduled
            }
            print(f"database {env['DATABASE_URL']}, redis {stack.redis_url} (private)", flush=True)
            orders._create_database(args)
            orders._run([PYTHON, "manage.py", "migrate", "-v", "0"], env)
            seed = [PYTHON, orders.__file__, "--seed-only", str(args.clients),
                    "--symbols", str(args.symbols)]  # fmt: skip
            keys = json.loads(orders._run(seed, env).splitlines()[-1])
            port = stack.listen()
            for i in range(args.workers):
                stack.start_web(i)
            stack.start_worker()
            stack.start_beat()
            orders._wait_until_up(port, keys[0], [stack.procs[n] for n in stack.web_names()])
            print(
                f"{args.clients} clients, {args.workers} daphne, {args.symbols} stocks, "
                f"{args.seconds:.0f} s per scenario\n",
                flush=True,
            )
            sent: set[str] = set()
            reported: set[str] = set()
            for name in args.scenarios:
                log = asyncio.run(_scenario(name, stack, keys, port, args))
                _quiet(stack, port, keys[0], args)
                sent.update(p.client_order_id for p in log.placements)
                in_db = _orders_in_db(args)
                strays = set(in_db) - sent - reported
                reported |= strays
                result = reconcile(log.placements, log.cancels, in_db, sorted(strays))
                violations, lines = _audit(env)
                for line in lines[:20]:
                    print(f"    {line}")
                row = Row(name, log, result, violations, _open_auctions_due(args))
                rows.append(row)
                _report(row)
        except KeyboardInterrupt:
            print("\ninterrupted: stopping everything", file=sys.stderr)
            return 130
        finally:
            stack.stop()
            if not args.keep_db:
                with contextlib.suppress(Exception):
                    _drop_database(args)
    print(HEADER)
    for row in rows:
        print(_line(row.name, [row]))
    print(_line("total", rows))
    failed = any(row.failed for row in rows)
    print(
        "\nFAILED: see the problems above"
        if failed
        else "\nno order lost, no phantom, ledger clean"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
