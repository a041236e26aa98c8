"""Order placement through the real HTTP API of a real daphne server on PostgreSQL.

    .venv/bin/python bench/api_orders.py                      # 16 clients, 1 daphne process
    .venv/bin/python bench/api_orders.py --web-processes 1,2  # 1 and 2 processes side by side
    .venv/bin/python bench/api_orders.py --clients 1          # one client: the server's time

It creates its own database (`bench_orders`, dropped and re-created on each run), migrates
it, creates one user with an API key per client and four stocks (--symbols) with a seeded
book, then starts daphne worker processes sharing one listening socket. N concurrent
keep-alive clients
alternate, round by round, between a trivial authenticated GET (the framework's floor) and
the order flow: limit orders around the mid (about 40% of them cross and trade), and a
cancel of the client's oldest open order whenever it holds more than four. It prints
requests/s and p50/p99 latency for each, the ratio of order throughput to the floor's, and
audits the ledger at the end (`manage.py audit_ledger`).

Not a test: it prints figures. Needs PostgreSQL and Redis (see --db-url, --redis-url).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SYMBOLS: list[str] = []  # set from --symbols


def _symbols(count: int) -> list[str]:
    return [f"BNC{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(count)]


MID = 10000  # cents: every stock's reference price is 100.00


# --------------------------------------------------------------------------- set-up
def _server_env(args: argparse.Namespace, var_dir: str) -> dict[str, str]:
    base = urlsplit(args.db_url)
    return {
        **os.environ,
        "DATABASE_URL": urlunsplit(base._replace(path=f"/{args.db_name}")),
        "REDIS_URL": args.redis_url,
        "DJANGO_DEBUG": "false",
        "API_RATE_LIMIT": "off",  # the load is the point, not the limit
        "WS_MAX_SOCKETS_PER_ADDRESS": "100000",  # every client is 127.0.0.1
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "BROKERAGE_VAR_DIR": var_dir,
        "TRADING_MAKER_FEE_BPS": str(args.maker_fee_bps),
        "TRADING_TAKER_FEE_BPS": str(args.taker_fee_bps),
        "PYTHONUNBUFFERED": "1",
    }


def _create_database(args: argparse.Namespace) -> None:
    import psycopg

    base = urlsplit(args.db_url)
    admin_url = urlunsplit(base._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.db_name}"')


def seed(clients: int) -> None:
    """Run inside the bench database's Django: users, keys, stocks, shares, a resting book."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from decimal import Decimal

    from accounts.models import Account, User
    from accounts.services import account_adjust_cash, api_key_create
    from marketdata.models import Stock
    from trading.services import order_place, position_grant

    for symbol in SYMBOLS:
        Stock.objects.create(
            symbol=symbol,
            name=f"Bench {symbol}",
            reference_price=Decimal("100.00"),
            previous_close=Decimal("100.00"),
        )
    keys = []
    for i in range(clients + 1):
        user = User.objects.create_user(username=f"bench{i:03d}")  # no password: keys only
        account = Account.objects.get(user=user)  # opened with the user, with the starting cash
        # Enough for the maker's 200 bid levels (about $2M) on every symbol, and then some.
        cash = Decimal(max(100_000_000, 3_000_000 * len(SYMBOLS)))
        account_adjust_cash(account_id=account.pk, amount=cash - account.cash, memo="bench")
        for symbol in SYMBOLS:
            position_grant(user=user, symbol=symbol, qty=1_000_000, memo="bench")
        key, secret = api_key_create(user=user, name="bench")
        keys.append((key.key_id, secret))
    # A book to match against: 200 levels a side, away from the mid, owned by the last user.
    maker = User.objects.get(username=f"bench{clients:03d}")
    for symbol in SYMBOLS:
        for i in range(200):
            for side, cents in (("buy", MID - 25 - i), ("sell", MID + 25 + i)):
                order_place(
                    user=maker,
                    symbol=symbol,
                    side=side,
                    type="limit",
                    time_in_force="gtc",
                    qty=100,
                    limit_price=Decimal(cents) / 100,
                )
    print(json.dumps(keys[:clients]))


def _run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _listen(port: int) -> socket.socket:
    """A listening socket daphne processes can inherit (`--fd`); the kernel spreads them."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    listener.set_inheritable(True)
    return listener


def _spawn_daphne(fd: int, env: dict[str, str], verbose: bool, **popen) -> subprocess.Popen:
    """One daphne process accepting on the inherited listening socket `fd`."""
    daphne = str(Path(PYTHON).parent / "daphne")
    return subprocess.Popen(
        [daphne, "--fd", str(fd), "-v", "0", "brokerage.asgi:application"],
        cwd=ROOT,
        env=env,
        pass_fds=(fd,),
        stdout=subprocess.DEVNULL,
        stderr=None if verbose else subprocess.DEVNULL,
        **popen,
    )


def _start_workers(
    args, env, count: int | None = None, port: int | None = None
) -> tuple[socket.socket, list[subprocess.Popen]]:
    """`count` (default --workers) daphne processes on one port, as `make run` starts them:
    each on a listening socket of its own, all bound with SO_REUSEPORT (the kernel spreads
    connections evenly). Returns the first socket (its port is the port) and the processes."""
    sys.path.insert(0, str(ROOT))
    from brokerage.sockets import listening_sockets

    sockets = listening_sockets(
        "127.0.0.1", args.port if port is None else port, count or args.workers
    )
    workers = [_spawn_daphne(s.fileno(), env, args.verbose) for s in sockets]
    for extra in sockets[1:]:
        extra.close()  # the processes hold their own copies
    return sockets[0], workers


def _stop_workers(listener: socket.socket, workers: list[subprocess.Popen]) -> None:
    for w in workers:
        w.terminate()
    for w in workers:
        try:
            w.wait(timeout=10)
        except subprocess.TimeoutExpired:
            w.kill()
    listener.close()


# --------------------------------------------------------------------------- HTTP client
class Connection:
    """A minimal HTTP/1.1 keep-alive client: enough for JSON requests to daphne, and cheap,
    so that the load generator takes as little of the two cores as possible."""

    def __init__(self, port: int, key_id: str, secret: str, host: str = "127.0.0.1") -> None:
        self.port = port
        self.host = host
        self.head = (
            f"Host: {host}\r\nAPCA-API-KEY-ID: {key_id}\r\n"
            f"APCA-API-SECRET-KEY: {secret}\r\nAccept: application/json\r\n"
        )
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.server_ms: float | None = None  # the last answer's Server-Timing (app;dur=)

    async def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        payload = json.dumps(body).encode() if body is not None else b""
        extra = "Content-Type: application/json\r\n" if body is not None else ""
        self.writer.write(
            f"{method} {path} HTTP/1.1\r\n{self.head}{extra}"
            f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        self.server_ms = None
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
            elif name == "server-timing" and value.startswith("app;dur="):
                self.server_ms = float(value.removeprefix("app;dur="))
        if chunked:
            parts = []
            while size := int((await self.reader.readline()).strip(), 16):
                parts.append(await self.reader.readexactly(size))
                await self.reader.readline()
            await self.reader.readline()
            data = b"".join(parts)
        else:
            data = await self.reader.readexactly(length)
        if close:
            self.writer.close()
            self.writer = None
        return status, data


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    by_kind: dict[str, Stats] = field(default_factory=dict)  # placements: rested or traded
    server_ms: list[float] = field(default_factory=list)  # what the server says it took

    def add(self, seconds: float, status: int, server_ms: float | None = None) -> None:
        self.latencies.append(seconds)
        if server_ms is not None:
            self.server_ms.append(server_ms)
        if status >= 400:
            self.errors[status] = self.errors.get(status, 0) + 1


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --------------------------------------------------------------------------- load
async def _floor_client(conn: Connection, path: str, deadline: float, stats: Stats) -> None:
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        status, _ = await conn.request("GET", path)
        stats.add(time.perf_counter() - start, status)


async def _order_client(
    conn: Connection, seed: int, deadline: float, place: Stats, cancel: Stats, samples: list
) -> None:
    rng = random.Random(seed)
    mine: list[str] = []
    while time.perf_counter() < deadline:
        side = rng.choice(("buy", "sell"))
        # ±20 cents around the mid: the inner book keeps crossing, the outer part rests.
        cents = MID + rng.randint(-20, 20)
        body = {
            "symbol": rng.choice(SYMBOLS),
            "side": side,
            "type": "limit",
            "time_in_force": "gtc",
            "qty": str(rng.randint(1, 5)),
            "limit_price": f"{cents // 100}.{cents % 100:02d}",
        }
        start = time.perf_counter()
        status, data = await conn.request("POST", "/api/v1/orders", body)
        place.add(time.perf_counter() - start, status, conn.server_ms)
        if status == 200:
            order = json.loads(data)
            if order["status"] in ("new", "partially_filled"):
                mine.append(order["id"])
            kind = "rested" if order["status"] == "new" else "traded"
            place.by_kind.setdefault(kind, Stats()).add(place.latencies[-1], status, conn.server_ms)
            if len(samples) < 3:
                samples.append(order["status"])
        elif len(samples) < 3:
            samples.append(data[:200])
        if len(mine) > 4:
            start = time.perf_counter()
            status, _ = await conn.request("DELETE", f"/api/v1/orders/{mine.pop(0)}")
            # 422: it filled meanwhile (another client traded against it): a real outcome.
            cancel.add(
                time.perf_counter() - start, 200 if status == 422 else status, conn.server_ms
            )


async def _phase(conns: list[Connection], seconds: float, make) -> float:
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(make(i, c, deadline) for i, c in enumerate(conns)))
    return time.perf_counter() - start


def _report(name: str, stats: Stats, elapsed: float) -> float:
    n = len(stats.latencies)
    rate = n / elapsed
    p50 = _percentile(stats.latencies, 0.50) * 1000
    p99 = _percentile(stats.latencies, 0.99) * 1000
    errors = f"  errors {stats.errors}" if stats.errors else ""
    server = ""
    if stats.server_ms:
        server = f"  server p50 {_percentile(stats.server_ms, 0.50):>5.1f} ms"
    print(
        f"{name:<34} {n:>7} req  {rate:>8.1f} req/s  p50 {p50:>7.1f} ms  p99 {p99:>7.1f} ms"
        f"  p99/p50 {p99 / p50:>4.1f}{server}{errors}"
    )
    return rate


@dataclass
class Setup:
    """One server set-up under test: `processes` daphne processes on one port."""

    processes: int
    port: int
    conns: list[Connection] = field(default_factory=list)
    floor: dict[str, Stats] = field(default_factory=dict)
    floor_time: dict[str, float] = field(default_factory=dict)
    place: Stats = field(default_factory=Stats)
    cancel: Stats = field(default_factory=Stats)
    order_time: float = 0.0
    pids: list[int] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # order phases: cores busy, by whom


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the processes (Linux /proc)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _measured(setup: Setup, phase) -> float:
    """Run an orders phase, adding what the machine, daphne and this client spent to setup.cpu."""
    before = (_machine_busy_seconds(), _cpu_seconds(setup.pids), _own_cpu_seconds())
    elapsed = await phase
    after = (_machine_busy_seconds(), _cpu_seconds(setup.pids), _own_cpu_seconds())
    for name, b, a in zip(("machine", "daphne", "load generator"), before, after, strict=True):
        setup.cpu[name] = setup.cpu.get(name, 0.0) + (a - b)
    return elapsed


async def _bench(
    args, keys: list[tuple[str, str]], ports: dict[int, int], pids: dict[int, list[int]]
) -> None:
    """Every set-up ({processes: port}) gets the same phases, round by round, in turn."""
    floors = [p.strip() for p in args.floor.split(",") if p.strip()]
    setups = [
        Setup(n, port, [Connection(port, k, s) for k, s in keys], pids=pids[n])
        for n, port in ports.items()
    ]
    for setup in setups:
        setup.floor = {path: Stats() for path in floors}
        setup.floor_time = dict.fromkeys(floors, 0.0)
        # Warm up every process, connection and code path first.
        await _phase(
            setup.conns,
            args.warmup,
            lambda i, c, d: _order_client(c, 10_000 + i, d, Stats(), Stats(), []),
        )
        for path in floors:
            await _phase(
                setup.conns,
                args.warmup / 2,
                lambda i, c, d, p=path: _floor_client(c, p, d, Stats()),
            )

    print(
        f"\n{len(keys)} clients, {len(SYMBOLS)} stocks, {args.rounds} rounds of "
        f"{args.seconds:.0f} s a phase, fees {args.maker_fee_bps}/{args.taker_fee_bps} bps; "
        f"web processes {', '.join(str(s.processes) for s in setups)}, in turn each round\n"
    )
    # Phases alternate round by round (and set-up by set-up), so that whatever else the
    # machine is doing weighs on the floor, the orders and every set-up alike.
    for r in range(args.rounds):
        for setup in setups:
            for path in floors:
                setup.floor_time[path] += await _phase(
                    setup.conns,
                    args.seconds,
                    lambda i, c, d, p=path, s=setup.floor[path]: _floor_client(c, p, d, s),
                )
            setup.order_time += await _measured(
                setup,
                _phase(
                    setup.conns,
                    args.seconds,
                    lambda i, c, d, r=r, s=setup: _order_client(
                        c, 100 * r + i, d, s.place, s.cancel, []
                    ),
                ),
            )
    for setup in setups:
        for conn in setup.conns:
            if conn.writer is not None:
                conn.writer.close()
    summary = [_report_setup(setup, floors) for setup in setups]
    if len(summary) > 1:
        _side_by_side(summary)


def _report_setup(setup: Setup, floors: list[str]) -> dict[str, float]:
    print(f"-- {setup.processes} web process(es)")
    floor_rates = {
        path: _report(f"floor GET {path}", setup.floor[path], setup.floor_time[path])
        for path in floors
    }
    place, cancel = setup.place, setup.cancel
    place_rate = _report("POST /api/v1/orders (place)", place, setup.order_time)
    for kind, stats in sorted(place.by_kind.items()):
        _report(f"  of which {kind}", stats, setup.order_time)
    cancel_rate = _report("DELETE /api/v1/orders/{id} (cancel)", cancel, setup.order_time)
    both = Stats(place.latencies + cancel.latencies)
    order_rate = _report("orders API, place + cancel", both, setup.order_time)
    best_path, best = max(floor_rates.items(), key=lambda kv: kv[1])
    p50 = _percentile(place.latencies, 0.50)
    p99 = _percentile(place.latencies, 0.99)
    print(
        f"orders/s (placements) {place_rate:.1f}, cancels/s {cancel_rate:.1f}; "
        f"placements + cancels {order_rate:.1f} req/s"
    )
    print(
        f"order requests / floor ({best_path}): {order_rate / best:.0%}  "
        f"(target >= 50%)   placement p99/p50: {p99 / p50:.1f} (target <= 3)"
    )
    cores = {name: spent / setup.order_time for name, spent in setup.cpu.items()}
    others = cores["machine"] - cores["daphne"] - cores["load generator"]
    print(
        f"cores busy in the orders phases: {cores['machine']:.2f} of {os.cpu_count()} — "
        f"daphne {cores['daphne']:.2f}, this load generator {cores['load generator']:.2f}, "
        f"the rest (PostgreSQL, Redis, anything else running) {others:.2f}\n"
    )
    return {
        "processes": setup.processes,
        f"floor {best_path} req/s": best,
        "placements/s": place_rate,
        "placements + cancels req/s": order_rate,
        "placement p50 ms": p50 * 1000,
        "placement p99 ms": p99 * 1000,
        "placement p99/p50": p99 / p50,
        "cores busy (orders phases)": cores["machine"],
        "  of which daphne": cores["daphne"],
    }


def _side_by_side(summary: list[dict[str, float]]) -> None:
    """The set-ups in columns, and each one's ratio to the first."""
    first = summary[0]
    head = "".join(f"{int(s['processes']):>10}" for s in summary)
    labels = [f"{int(s['processes'])}/{int(first['processes'])}" for s in summary[1:]]
    ratios = "".join(f"{label:>10}" for label in labels)
    print(f"{'web processes':<30}{head}{ratios}")
    for name in list(first)[1:]:
        values = "".join(f"{s[name]:>10.1f}" for s in summary)
        ratio = "".join(f"{s[name] / first[name]:>9.2f}x" for s in summary[1:])
        print(f"{name:<30}{values}{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--web-processes",
        default="1",
        help="comma-separated daphne process counts, run side by side (e.g. 1,2)",
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--rounds", type=int, default=3, help="floor and orders phases, alternated")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--db-url", default="postgres://root@127.0.0.1:5432/")
    parser.add_argument("--db-name", default="bench_orders")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument(
        "--floor",
        default="/api/v1/account",
        help="comma-separated trivial GETs to measure as the floor",
    )
    parser.add_argument("--maker-fee-bps", default="0")
    parser.add_argument("--taker-fee-bps", default="0")
    parser.add_argument("--verbose", action="store_true", help="show daphne's stderr")
    parser.add_argument(
        "--symbols", type=int, default=4, help="stocks traded (each has its own book lock)"
    )
    parser.add_argument("--seed-only", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    SYMBOLS[:] = _symbols(args.symbols)
    if args.seed_only is not None:
        seed(args.seed_only)
        return

    with tempfile.TemporaryDirectory(prefix="bench-orders-") as var_dir:
        env = _server_env(args, var_dir)
        print(f"database {env['DATABASE_URL']}, redis {args.redis_url}", flush=True)
        _create_database(args)
        _run([PYTHON, "manage.py", "migrate", "-v", "0"], env)
        keys = json.loads(
            _run(
                [
                    PYTHON,
                    __file__,
                    "--seed-only",
                    str(args.clients),
                    "--symbols",
                    str(args.symbols),
                ],
                env,
            ).splitlines()[-1]
        )
        counts = [int(n) for n in args.web_processes.split(",") if n.strip()]
        args.workers = counts[0]
        stacks = {n: _start_workers(args, env, count=n, port=0) for n in dict.fromkeys(counts)}
        try:
            for listener, workers in stacks.values():
                _wait_until_up(listener.getsockname()[1], keys[0], workers)
            ports = {n: listener.getsockname()[1] for n, (listener, _) in stacks.items()}
            pids = {n: [w.pid for w in workers] for n, (_, workers) in stacks.items()}
            asyncio.run(_bench(args, keys, ports, pids))
        finally:
            for listener, workers in stacks.values():
                _stop_workers(listener, workers)
        audit = subprocess.run(
            [PYTHON, "manage.py", "audit_ledger"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        verdict = "clean" if audit.returncode == 0 else f"FAILED\n{audit.stderr}"
        print(f"ledger audit after the run: {verdict}")


def _wait_until_up(port: int, key: tuple[str, str], workers: list[subprocess.Popen]) -> None:
    async def probe() -> int:
        conn = Connection(port, *key)
        status, _ = await conn.request("GET", "/healthz")
        conn.writer.close()
        return status

    for _ in range(300):
        if any(w.poll() is not None for w in workers):
            sys.exit("a daphne worker exited at start-up (run with --verbose to see why)")
        try:
            if asyncio.run(probe()) == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("daphne did not answer /healthz within 30 s")


if __name__ == "__main__":
    main()
