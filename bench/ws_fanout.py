#!/usr/bin/env python3
"""Websocket fan-out: K clients on real daphne processes, one symbol's book and trades, steady orders.

    .venv/bin/python bench/ws_fanout.py                            # 1,000 clients, 1 daphne, 10 orders/s
    .venv/bin/python bench/ws_fanout.py --web-processes 1,2        # 1 and 2 processes side by side
    .venv/bin/python bench/ws_fanout.py --clients 2000 --web-processes 2

What happens: a PostgreSQL database of its own (`--db-name`, dropped and re-created) is
migrated and given, per set-up, a stock and two traders with API keys. Each set-up (a count of
`--web-processes`) is that many daphne processes on one shared listening socket
(`bench/api_orders.py`'s helpers), serving `brokerage.asgi` with the settings' channel layer on
`--redis-url`. Client processes open K websockets per set-up, each subscribed to its set-up's
stock's `book` and `trades`; a placer sends orders over that set-up's REST API at a steady rate
(resting asks and bids, every third order a crossing buy, so there are both book deltas and
trades). The set-ups take turns, round by round, so that whatever else runs on the machine
weighs on each alike; every set-up's sockets stay connected throughout. Each message carries
`ts`, its commit (publish) time; a client's latency is its receipt time minus `ts`, on the
same machine's clock.

Printed per set-up, side by side: clients connected, messages received, latency p50/p99/max,
messages lost (a `seq` a client never saw, counted against the book's and the tape's final
sequence numbers: must be 0), resyncs, and daphne's resident memory per 1,000 sockets (the
VmRSS of its processes with K sockets minus with none, scaled); the load average around it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.api_orders import _create_database, _start_workers, _stop_workers  # noqa: E402


def raise_fd_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit; processes started afterwards inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --------------------------------------------------------------------------- clients
class _Socket(asyncio.Protocol):
    """A minimal websocket client: the handshake, then server frames parsed straight from the
    transport's reads. The `websockets` library spent more CPU per received frame than daphne
    spent sending it, and with a thousand sockets in one process that client time showed up
    as latency; this one costs a few microseconds a frame (plus the JSON parse)."""

    def __init__(self, host: str, origin: str, symbol: str, stats: dict, ready: asyncio.Event):
        self.request = (
            f"GET /ws/ HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            f"Origin: {origin}\r\n\r\n"
        ).encode()
        self.symbol, self.stats, self.ready = symbol, stats, ready
        self.opened = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.buffer = bytearray()
        self.upgraded = False
        self.fragments: list[bytes] = []
        self.transport: asyncio.Transport | None = None
        self.state = {
            "book": None,
            "trades": None,
            "book_ranges": [],
            "trade_ranges": [],
            "resyncs": 0,
        }
        stats["states"].append(self.state)

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    def send(self, opcode: int, payload: bytes) -> None:
        # Client frames must be masked; a zero mask is a valid one and leaves the bytes as they are.
        n = len(payload)
        head = bytes([0x80 | opcode, 0x80 | n]) if n < 126 else bytes([0x80 | opcode, 0xFE])
        if n >= 126:
            head += n.to_bytes(2, "big")
        self.transport.write(head + b"\0\0\0\0" + payload)

    def data_received(self, data: bytes) -> None:
        now = time.time() * 1000  # one read, one receipt time for every frame in it
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(ConnectionError(bytes(buffer[:80]).decode("latin-1")))
                self.transport.close()
                return
            del buffer[: end + 4]
            self.upgraded = True
            for channel in ("book", "trades"):
                subscribe = {"action": "subscribe", "channel": channel, "symbol": self.symbol}
                self.send(0x1, json.dumps(subscribe).encode())
            self.stats["connected"] += 1
            self.opened.set_result(None)
        position, size = 0, len(buffer)
        while size - position >= 2:
            first, length = buffer[position], buffer[position + 1] & 0x7F
            start = position + 2
            if length == 126:
                if size - position < 4:
                    break
                length, start = int.from_bytes(buffer[start : start + 2], "big"), start + 2
            elif length == 127:
                if size - position < 10:
                    break
                length, start = int.from_bytes(buffer[start : start + 8], "big"), start + 8
            if size - start < length:
                break
            payload = bytes(buffer[start : start + length])
            position = start + length
            opcode = first & 0x0F
            if not first & 0x80:  # a fragment: keep it until the final frame
                self.fragments.append(payload)
                continue
            if opcode == 0x0:
                payload, self.fragments = b"".join([*self.fragments, payload]), []
                opcode = 0x1
            if opcode == 0x1:
                self.on_message(payload, now)
            elif opcode == 0x9:  # ping: daphne closes sockets that do not answer
                self.send(0xA, payload)
            elif opcode == 0x8:
                self.transport.close()
        del buffer[:position]

    def on_message(self, payload: bytes, now: float) -> None:
        message = json.loads(payload)
        kind = message["type"]
        state, stats = self.state, self.stats
        if kind == "book.delta" or kind == "trades":
            stats["latencies"].append(now - message["ts"])
            key = "book_ranges" if kind == "book.delta" else "trade_ranges"
            state[key].append((message["first_seq"], message["seq"]))
            stats["messages"] += 1
        elif kind == "book.snapshot" or kind == "trades.snapshot":
            name = "book" if kind == "book.snapshot" else "trades"
            if state[name] is None:
                state[name] = message["seq"]
                if state["book"] is not None and state["trades"] is not None:
                    stats["synced"] += 1
                    if stats["synced"] == stats["expected"]:
                        self.ready.set()
            else:
                state["resyncs"] += 1
                state["book_ranges" if name == "book" else "trade_ranges"].append(
                    (state[name] + 1, message["seq"])
                )
        elif kind == "error":
            stats["errors"].append(message)


def clients(url: str, origin: str, symbol: str, count: int, concurrency: int) -> None:
    """A client process: open `count` sockets, say READY, record until STOP, print results."""
    raise_fd_limit()
    stats = {
        "connected": 0,
        "synced": 0,
        "expected": count,
        "messages": 0,
        "latencies": [],
        "errors": [],
        "states": [],
    }
    where = urlsplit(url)

    async def main():
        ready = asyncio.Event()
        loop = asyncio.get_running_loop()
        # At most `concurrency` handshakes in flight: a bounded connect storm, so that the
        # listening socket's backlog and daphne's accept loop are never flooded.
        gate = asyncio.Semaphore(concurrency)
        sockets: list[_Socket] = []

        async def start_one():
            async with gate:
                sock = _Socket(where.netloc, origin, symbol, stats, ready)
                sockets.append(sock)
                try:
                    await asyncio.wait_for(
                        loop.create_connection(lambda: sock, where.hostname, where.port), 60
                    )
                    await asyncio.wait_for(asyncio.shield(sock.opened), 60)
                except Exception as exc:
                    stats["errors"].append(repr(exc))

        await asyncio.gather(*(start_one() for _ in range(count)))
        if stats["connected"]:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ready.wait(), timeout=180)
        print(f"READY {stats['synced']}", flush=True)
        stats["latencies"].clear()
        stats["messages"] = 0
        await loop.run_in_executor(None, sys.stdin.readline)  # STOP
        for sock in sockets:
            if sock.transport is not None:
                sock.transport.close()

    asyncio.run(main())
    print(
        json.dumps(
            {
                "connected": stats["connected"],
                "synced": stats["synced"],
                "messages": stats["messages"],
                "latencies": [round(x, 2) for x in stats["latencies"]],
                "errors": stats["errors"][:5],
                "states": stats["states"],
            }
        ),
        flush=True,
    )


# --------------------------------------------------------------------------- driver
def _missing(start: int | None, end: int, ranges: list[tuple[int, int]]) -> int:
    """How many seqs in (start, end] no received message covered."""
    if start is None:
        return 0
    covered = 0
    position = start
    for first, last in sorted(ranges):
        if last <= position:
            continue
        covered += last - max(first - 1, position)
        position = last
    return max(0, end - start - covered)


def _setup_django(args) -> None:
    """The environment of the driver and of every daphne it starts, then Django on it."""
    workdir = Path(tempfile.mkdtemp(prefix="ws-fanout-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnop")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["API_RATE_LIMIT"] = "off"  # the load is the point, not the limit
    os.environ["WS_MAX_SOCKETS_PER_ADDRESS"] = "100000"  # every client is 127.0.0.1
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "false"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    os.environ["STARTING_CASH"] = "1000000000"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["BROKERAGE_VAR_DIR"] = str(workdir)
    os.environ["PYTHONUNBUFFERED"] = "1"
    base = urlsplit(args.db_url)
    os.environ["DATABASE_URL"] = urlunsplit(base._replace(path=f"/{args.db_name}"))
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    from brokerage.embedded_redis import ensure_redis_url

    ensure_redis_url()  # REDIS_URL unset: a private server, shared with the daphnes it starts
    _create_database(args)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _prepare(symbol: str) -> list[dict[str, str]]:
    """A stock at 100.00 and two traders (a seller holding shares, a buyer): their API headers."""
    from accounts.services import api_key_create, user_sign_up
    from trading.tests.factories import give_shares, make_stock

    stock = make_stock(symbol, "100.00")
    headers = []
    for role in ("seller", "buyer"):
        name = f"fanout-{symbol.lower()}-{role}"
        user = user_sign_up(username=name, password="bench-password-0123456789")
        if role == "seller":
            give_shares(user, stock, 10_000_000)
        key, secret = api_key_create(user=user, name="bench")
        headers.append({"APCA-API-KEY-ID": key.key_id, "APCA-API-SECRET-KEY": secret})
    return headers


def _order_flow(
    base: str, headers: list[dict], symbol: str, rate: float, seconds: float, first: int
) -> dict:
    """Place orders at a steady rate over HTTP; a small pool keeps the pace if one is slow."""
    import requests

    seller, buyer = headers
    sessions = threading.local()
    placed, failed, http_ms = [0], [0], []

    def place(i: int) -> None:
        if not hasattr(sessions, "s"):
            sessions.s = requests.Session()
        step = i % 3
        if step == 0:
            who, body = seller, {"side": "sell", "limit_price": f"{100.01 + (i % 10) / 100:.2f}"}
        elif step == 1:
            who, body = buyer, {"side": "buy", "limit_price": f"{99.99 - (i % 10) / 100:.2f}"}
        else:  # crosses the best asks: trades plus book changes
            who, body = buyer, {"side": "buy", "limit_price": "100.05"}
        body.update(symbol=symbol, qty=str(1 + i % 7), type="limit", time_in_force="gtc")
        started = time.perf_counter()
        try:
            response = sessions.s.post(f"{base}/api/v1/orders", json=body, headers=who, timeout=30)
        except requests.RequestException:
            failed[0] += 1
            return
        http_ms.append((time.perf_counter() - started) * 1000)
        if response.status_code in (200, 201):
            placed[0] += 1
        else:
            failed[0] += 1

    interval = 1.0 / rate
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        i = 0
        while True:
            due = started + i * interval
            if due - started >= seconds:
                break
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(place, first + i)
            i += 1
    return {"placed": placed[0], "failed": failed[0], "http_ms": http_ms, "sent": i}


def _vmrss(pids: list[int]) -> int:
    """Resident memory of the processes in bytes, as /proc/<pid>/status says (VmRSS, kB)."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def _cpu_seconds(pids: list[int]) -> float:
    import psutil

    return sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in pids)


def _wait_healthy(base: str, workers: list[subprocess.Popen], timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(w.poll() is not None for w in workers):
            raise RuntimeError("a daphne process exited at start-up (--verbose shows why)")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("daphne did not come up")


def _warm_up(url: str, origin: str, symbol: str, sockets: int) -> None:
    """A few subscribe-and-leave sockets, so that the idle RSS already has the stream code
    and the relay's Redis connection loaded: what is left is the cost of the sockets."""
    from websockets.sync.client import connect

    for _ in range(sockets):
        with connect(url, origin=origin, open_timeout=30) as ws:
            for channel in ("book", "trades"):
                ws.send(json.dumps({"action": "subscribe", "channel": channel, "symbol": symbol}))
            seen = set()
            while len(seen) < 2:
                kind = json.loads(ws.recv(timeout=30))["type"]
                if kind in ("book.snapshot", "trades.snapshot"):
                    seen.add(kind)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


@dataclass
class Setup:
    """One server set-up under test: `processes` daphne processes on one port, its own stock."""

    processes: int
    symbol: str
    port: int
    listener: socket.socket
    workers: list[subprocess.Popen]
    headers: list[dict] = field(default_factory=list)
    clients: list[subprocess.Popen] = field(default_factory=list)
    synced: int = 0
    connect_seconds: float = 0.0
    rss_idle: int = 0
    rss_loaded: int = 0
    cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    phase_seconds: float = 0.0
    placed: int = 0
    failed: int = 0
    sent: int = 0
    http_ms: list[float] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pids(self) -> list[int]:
        return [w.pid for w in self.workers]


def _connect(args, setup: Setup) -> None:
    """Open and subscribe every client socket of `setup`; memory before and after."""
    url = f"ws://127.0.0.1:{setup.port}/ws/"
    _warm_up(url, setup.base, setup.symbol, 4 * setup.processes)
    time.sleep(1)
    setup.rss_idle = _vmrss(setup.pids)
    per = [args.clients // args.client_procs] * args.client_procs
    per[0] += args.clients - sum(per)
    started = time.monotonic()
    for count in per:
        setup.clients.append(
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "clients",
                    "--url",
                    url,
                    "--origin",
                    setup.base,
                    "--symbol",
                    setup.symbol,
                    "--count",
                    str(count),
                    "--concurrency",
                    str(args.connect_concurrency),
                ],
                cwd=REPO,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    for client in setup.clients:
        line = client.stdout.readline()
        if not line.startswith("READY"):
            raise RuntimeError(f"a client process failed to start: {line!r}")
        setup.synced += int(line.split()[1])
    setup.connect_seconds = time.monotonic() - started
    time.sleep(1)
    setup.rss_loaded = _vmrss(setup.pids)


def _collect(setup: Setup) -> dict:
    """Stop `setup`'s clients and turn what they saw into its figures."""
    from marketdata.models import Stock
    from trading.models import BookState

    for client in setup.clients:
        client.stdin.write("STOP\n")
        client.stdin.flush()
    results = []
    for client in setup.clients:
        out, _ = client.communicate(timeout=120)
        results.append(json.loads(out.strip().splitlines()[-1]))
    state = BookState.objects.get(stock=Stock.objects.get(symbol=setup.symbol))
    latencies = [x for r in results for x in r["latencies"]]
    states = [s for r in results for s in r["states"]]
    lost = sum(
        _missing(s["book"], state.book_seq, s["book_ranges"])
        + _missing(s["trades"], state.trade_seq, s["trade_ranges"])
        for s in states
    )
    return {
        "processes": setup.processes,
        "clients": sum(len(r["states"]) for r in results),
        "connected": sum(r["connected"] for r in results),
        "synced": setup.synced,
        "connect_seconds": round(setup.connect_seconds, 1),
        "orders_sent": setup.sent,
        "orders_placed": setup.placed,
        "orders_failed": setup.failed,
        "order_http_p50_ms": round(_pct(setup.http_ms, 0.5), 1),
        "book_seq": state.book_seq,
        "trade_seq": state.trade_seq,
        "messages": sum(r["messages"] for r in results),
        "latency_p50_ms": round(_pct(latencies, 0.50), 1),
        "latency_p99_ms": round(_pct(latencies, 0.99), 1),
        "latency_max_ms": round(max(latencies), 1) if latencies else None,
        "lost": lost,
        "resyncs": sum(s["resyncs"] for s in states),
        "errors": [e for r in results for e in r["errors"]][:3],
        "daphne_rss_idle_mb": round(setup.rss_idle / 2**20, 1),
        "daphne_rss_loaded_mb": round(setup.rss_loaded / 2**20, 1),
        "daphne_mb_per_1000_sockets": round(
            (setup.rss_loaded - setup.rss_idle) / 2**20 * 1000 / max(1, setup.synced), 1
        ),
        "daphne_cpu_percent": round(100 * setup.cpu_seconds / max(setup.phase_seconds, 1e-9), 1),
        "clients_cpu_percent": round(
            100 * setup.client_cpu_seconds / max(setup.phase_seconds, 1e-9), 1
        ),
    }


def report(result: dict, wanted: int) -> None:
    print(f"\n== {result['processes']} web process(es) ==")
    print(
        f"clients connected      {result['connected']} / {wanted} "
        f"(all subscribed: {result['synced']}, in {result['connect_seconds']} s)"
    )
    print(
        f"orders placed          {result['orders_placed']} of {result['orders_sent']} "
        f"(failed {result['orders_failed']}; HTTP p50 {result['order_http_p50_ms']} ms) "
        f"-> book seq {result['book_seq']}, trade seq {result['trade_seq']}"
    )
    print(f"messages received      {result['messages']:,}")
    print(
        f"latency commit->client p50 {result['latency_p50_ms']} ms, "
        f"p99 {result['latency_p99_ms']} ms, max {result['latency_max_ms']} ms"
    )
    print(f"messages lost          {result['lost']} (resyncs {result['resyncs']})")
    print(
        f"daphne memory          {result['daphne_mb_per_1000_sockets']} MB per 1,000 sockets "
        f"(VmRSS {result['daphne_rss_idle_mb']} MB idle, {result['daphne_rss_loaded_mb']} MB "
        f"with the sockets, all processes)"
    )
    print(
        f"CPU while ordering     daphne {result['daphne_cpu_percent']}%, client processes "
        f"{result['clients_cpu_percent']}% (of one core)"
    )
    if result["errors"]:
        print(f"errors                 {result['errors']}")


SIDE_BY_SIDE = (
    ("connected", "connected"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p99_ms", "p99 ms"),
    ("latency_max_ms", "max ms"),
    ("lost", "lost"),
    ("messages", "messages"),
    ("daphne_mb_per_1000_sockets", "MB per 1,000 sockets"),
    ("daphne_cpu_percent", "daphne CPU %"),
    ("clients_cpu_percent", "clients CPU %"),
    ("order_http_p50_ms", "order HTTP p50 ms"),
)


def side_by_side(results: list[dict]) -> None:
    """The set-ups in columns, and each one's ratio to the first."""
    first = results[0]
    head = "".join(f"{r['processes']:>12}" for r in results)
    ratios = "".join(
        f"{str(r['processes']) + '/' + str(first['processes']):>10}" for r in results[1:]
    )
    print(f"\n{'web processes':<24}{head}{ratios}")
    for key, label in SIDE_BY_SIDE:
        values = "".join(f"{r[key]:>12,}" for r in results)
        ratio = "".join(
            f"{r[key] / first[key]:>9.2f}x" if first[key] else f"{'-':>10}" for r in results[1:]
        )
        print(f"{label:<24}{values}{ratio}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    c = sub.add_parser("clients", help="(internal) a process of websocket clients")
    c.add_argument("--url", required=True)
    c.add_argument("--origin", required=True)
    c.add_argument("--symbol", required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--clients", type=int, default=1000, help="websockets per set-up")
    parser.add_argument(
        "--web-processes",
        default="1",
        help="comma-separated daphne process counts, run side by side (e.g. 1,2)",
    )
    parser.add_argument("--rate", type=float, default=10.0, help="orders per second (default 10)")
    parser.add_argument(
        "--duration", type=float, default=30.0, help="seconds of orders per set-up, in all"
    )
    parser.add_argument("--rounds", type=int, default=3, help="turns each set-up takes")
    parser.add_argument("--drain", type=float, default=2.0, help="seconds after each turn")
    parser.add_argument("--client-procs", type=int, default=1, help="client processes per set-up")
    parser.add_argument("--connect-concurrency", type=int, default=50, help="handshakes at once")
    parser.add_argument("--db-url", default="postgres://root@127.0.0.1:5432/")
    parser.add_argument("--db-name", default="bench_fanout")
    parser.add_argument("--redis-url", help="default: REDIS_URL, or a private embedded Redis")
    parser.add_argument("--json", action="store_true", help="also print results as JSON")
    parser.add_argument("--verbose", action="store_true", help="show daphne's stderr")
    args = parser.parse_args()

    if args.command == "clients":
        clients(args.url, args.origin, args.symbol, args.count, args.concurrency)
        return

    # Before any process is started: daphne and the client processes inherit the limit.
    print(f"fd limit {raise_fd_limit()}; {os.cpu_count()} CPUs; load average {_load()}")
    _setup_django(args)
    from django.conf import settings

    print(f"database {settings.DATABASES['default']['NAME']}, redis {settings.REDIS_URL}")
    counts = list(dict.fromkeys(int(n) for n in args.web_processes.split(",") if n.strip()))
    setups: list[Setup] = []
    try:
        for n in counts:
            symbol = f"FANOUT{n}"
            headers = _prepare(symbol)
            listener, workers = _start_workers(args, os.environ.copy(), count=n, port=0)
            setups.append(Setup(n, symbol, listener.getsockname()[1], listener, workers, headers))
        for setup in setups:
            _wait_healthy(setup.base, setup.workers)
        for setup in setups:
            _connect(args, setup)
            print(
                f"{setup.processes} web process(es): {setup.synced} sockets subscribed in "
                f"{setup.connect_seconds:.1f} s; load average {_load()}",
                flush=True,
            )
        load_before = _load()
        seconds = args.duration / args.rounds
        for r in range(args.rounds):
            for setup in setups:
                cpu = _cpu_seconds(setup.pids)
                client_cpu = _cpu_seconds([c.pid for c in setup.clients])
                started = time.monotonic()
                flow = _order_flow(
                    setup.base,
                    setup.headers,
                    setup.symbol,
                    args.rate,
                    seconds,
                    first=r * int(seconds * args.rate),
                )
                time.sleep(args.drain)  # its last messages out before the next turn
                setup.phase_seconds += time.monotonic() - started
                setup.cpu_seconds += _cpu_seconds(setup.pids) - cpu
                setup.client_cpu_seconds += (
                    _cpu_seconds([c.pid for c in setup.clients]) - client_cpu
                )
                setup.placed += flow["placed"]
                setup.failed += flow["failed"]
                setup.sent += flow["sent"]
                setup.http_ms += flow["http_ms"]
        load_after = _load()
        results = [_collect(setup) for setup in setups]
    finally:
        for setup in setups:
            for client in setup.clients:
                if client.poll() is None:
                    client.kill()
            _stop_workers(setup.listener, setup.workers)

    print(
        f"\n{args.clients} clients per set-up, {args.rate:g} orders/s, {args.rounds} turns of "
        f"{seconds:g} s each; load average {load_before} before the orders, {load_after} after"
    )
    for result in results:
        report(result, args.clients)
    if len(results) > 1:
        side_by_side(results)
    if args.json:
        print(json.dumps(results, indent=2))
    if any(r["lost"] or r["connected"] < args.clients for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
