#!/usr/bin/env python3
"""Websocket fan-out: K clients on one real daphne, one symbol's book and trades, steady orders.

    .venv/bin/python bench/ws_fanout.py                       # 1,000 clients, 10 orders/s, 30 s
    .venv/bin/python bench/ws_fanout.py --layer both          # core vs pub/sub channel layer
    .venv/bin/python bench/ws_fanout.py --clients 2000 --rate 20 --duration 60

What happens: a scratch SQLite database (or `--database-url`) is migrated and given a stock,
two traders and their API keys; daphne serves `brokerage.asgi` on it with the chosen channel
layer (on `REDIS_URL`, or the embedded Redis when it is unset); client processes open K
websockets, each subscribed to the stock's `book` and `trades`; a placer sends orders over the
REST API at a steady rate (resting asks and bids, every third order a crossing buy, so there
are both book deltas and trades). Each message carries `ts`, its commit (publish) time; a
client's latency is its receipt time minus `ts`, on the same machine's clock.

Printed: clients connected, messages received, latency p50/p99/max, messages lost (a `seq`
a client never saw, counted against the book's and the tape's final sequence numbers: must
be 0), resyncs, and daphne's resident memory per 1,000 connections (RSS with K connections
minus RSS with none, scaled).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

LAYERS = {
    "core": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"capacity": 1500, "expiry": 30},
    },
    "pubsub": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {}},
}
SYMBOL = "FANOUT"


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --------------------------------------------------------------------------- serve
def serve(layer: str, port: int) -> None:
    """Run daphne in this process with the settings' channel layer replaced by `layer`."""
    raise_fd_limit()
    import brokerage.settings as project_settings

    config = json.loads(json.dumps(LAYERS[layer]))
    config["CONFIG"]["hosts"] = [project_settings.REDIS_URL]
    # Django reads the settings module already imported here, so the swap takes effect.
    project_settings.CHANNEL_LAYERS = {"default": config}
    from daphne.cli import CommandLineInterface

    if os.environ.get("WS_FANOUT_PROFILE"):  # where daphne's time goes, for tuning
        import atexit
        import cProfile

        profiler = cProfile.Profile()
        atexit.register(lambda: profiler.dump_stats(os.environ["WS_FANOUT_PROFILE"]))
        profiler.enable()
    CommandLineInterface().run(
        ["-b", "127.0.0.1", "-p", str(port), "--ping-interval", "60", "brokerage.asgi:application"]
    )


# --------------------------------------------------------------------------- clients
async def _client(url: str, origin: str, stats: dict, ready: asyncio.Event) -> None:
    import websockets

    state = {"book": None, "trades": None, "book_ranges": [], "trade_ranges": [], "resyncs": 0}
    stats["states"].append(state)
    async with websockets.connect(url, origin=origin, open_timeout=60, ping_interval=None) as ws:
        await ws.send(json.dumps({"action": "subscribe", "channel": "book", "symbol": SYMBOL}))
        await ws.send(json.dumps({"action": "subscribe", "channel": "trades", "symbol": SYMBOL}))
        stats["connected"] += 1
        latencies = stats["latencies"]
        async for raw in ws:
            now = time.time() * 1000
            message = json.loads(raw)
            kind = message["type"]
            if kind == "book.delta" or kind == "trades":
                latencies.append(now - message["ts"])
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
                            ready.set()
                else:
                    state["resyncs"] += 1
                    state["book_ranges" if name == "book" else "trade_ranges"].append(
                        (state[name] + 1, message["seq"])
                    )
            elif kind == "error":
                stats["errors"].append(message)


def clients(url: str, origin: str, count: int, concurrency: int) -> None:
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

    async def main():
        ready = asyncio.Event()
        gate = asyncio.Semaphore(concurrency)
        tasks = []

        async def start_one():
            async with gate:
                task = asyncio.ensure_future(_client(url, origin, stats, ready))
                tasks.append(task)
                # Hold the slot until this socket is subscribed: a bounded connect storm.
                deadline = time.monotonic() + 60
                while stats["connected"] < len(tasks) and time.monotonic() < deadline:
                    if task.done():
                        break
                    await asyncio.sleep(0.005)

        await asyncio.gather(*(start_one() for _ in range(count)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ready.wait(), timeout=120)
        print(f"READY {stats['synced']}", flush=True)
        stats["latencies"].clear()
        stats["messages"] = 0
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)  # STOP
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

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
    workdir = Path(tempfile.mkdtemp(prefix="ws-fanout-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnop")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["API_RATE_LIMIT"] = "off"  # the load is the point, not the limit
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "false"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    os.environ["STARTING_CASH"] = "1000000000"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["BROKERAGE_VAR_DIR"] = str(workdir)
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    from brokerage.embedded_redis import ensure_redis_url

    ensure_redis_url()  # REDIS_URL unset: a private server, shared with the daphne it starts
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _prepare() -> list[dict[str, str]]:
    from accounts.services import api_key_create, user_sign_up
    from marketdata.models import Stock
    from trading.models import BookLevel, BookState, Order, Trade
    from trading.tests.factories import give_shares, make_stock

    stock = Stock.objects.filter(symbol=SYMBOL).first()
    if stock is not None:  # a reused database: start from an empty book
        Trade.objects.filter(stock=stock).delete()
        Order.objects.filter(stock=stock).delete()
        BookLevel.objects.filter(stock=stock).delete()
        BookState.objects.filter(stock=stock).delete()
    else:
        stock = make_stock(SYMBOL, "100.00")
    headers = []
    for role in ("seller", "buyer"):
        name = f"fanout-{role}-{random.randrange(10**9)}"
        user = user_sign_up(username=name, password="bench-password-0123456789")
        if role == "seller":
            give_shares(user, stock, 10_000_000)
        key, secret = api_key_create(user=user, name="bench")
        headers.append({"APCA-API-KEY-ID": key.key_id, "APCA-API-SECRET-KEY": secret})
    return headers


def _order_flow(base: str, headers: list[dict], rate: float, duration: float) -> dict:
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
        body.update(symbol=SYMBOL, qty=str(1 + i % 7), type="limit", time_in_force="gtc")
        started = time.perf_counter()
        response = sessions.s.post(f"{base}/api/v1/orders", json=body, headers=who, timeout=30)
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
            if due - started >= duration:
                break
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(place, i)
            i += 1
    return {"placed": placed[0], "failed": failed[0], "http_ms": http_ms}


def _rss(pid: int) -> int:
    import psutil

    return psutil.Process(pid).memory_info().rss


def _wait_healthy(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("daphne exited at start-up")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("daphne did not come up")


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run_once(args, layer: str, headers: list[dict]) -> dict:
    import psutil

    from marketdata.models import Stock
    from trading.models import BookState

    port = args.port
    base, url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws/"
    server = subprocess.Popen(
        [sys.executable, __file__, "serve", "--layer", layer, "--port", str(port)],
        cwd=REPO,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if args.quiet else None,
    )
    workers: list[subprocess.Popen] = []
    try:
        _wait_healthy(base, server)
        rss_idle = _rss(server.pid)
        per = [args.clients // args.client_procs] * args.client_procs
        per[0] += args.clients - sum(per)
        started = time.monotonic()
        for count in per:
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "clients",
                        "--url",
                        url,
                        "--origin",
                        base,
                        "--count",
                        str(count),
                        "--concurrency",
                        str(args.connect_concurrency),
                    ],
                    cwd=REPO,
                    env=os.environ.copy(),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        synced = 0
        for worker in workers:
            line = worker.stdout.readline()
            if not line.startswith("READY"):
                raise RuntimeError(f"a client process failed to start: {line!r}")
            synced += int(line.split()[1])
        connect_seconds = time.monotonic() - started
        time.sleep(1)
        rss_loaded = _rss(server.pid)
        cpu_before = psutil.Process(server.pid).cpu_times()
        client_cpu_before = [psutil.Process(w.pid).cpu_times() for w in workers]
        flow = _order_flow(base, headers, args.rate, args.duration)
        time.sleep(args.drain)
        cpu_after = psutil.Process(server.pid).cpu_times()
        client_cpu_after = [psutil.Process(w.pid).cpu_times() for w in workers]
        results = []
        for worker in workers:
            worker.stdin.write("STOP\n")
            worker.stdin.flush()
        for worker in workers:
            out, _ = worker.communicate(timeout=120)
            results.append(json.loads(out.strip().splitlines()[-1]))
        stock = Stock.objects.get(symbol=SYMBOL)
        state = BookState.objects.get(stock=stock)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    latencies = [x for r in results for x in r["latencies"]]
    states = [s for r in results for s in r["states"]]
    lost = sum(
        _missing(s["book"], state.book_seq, s["book_ranges"])
        + _missing(s["trades"], state.trade_seq, s["trade_ranges"])
        for s in states
    )
    cpu = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
    client_cpu = sum(
        (a.user + a.system) - (b.user + b.system)
        for a, b in zip(client_cpu_after, client_cpu_before, strict=True)
    )
    return {
        "layer": layer,
        "clients": args.clients,
        "connected": sum(r["connected"] for r in results),
        "synced": synced,
        "connect_seconds": round(connect_seconds, 1),
        "orders_placed": flow["placed"],
        "orders_failed": flow["failed"],
        "order_http_p50_ms": round(_pct(flow["http_ms"], 0.5), 1),
        "book_seq": state.book_seq,
        "trade_seq": state.trade_seq,
        "messages": sum(r["messages"] for r in results),
        "latency_p50_ms": round(_pct(latencies, 0.50), 1),
        "latency_p99_ms": round(_pct(latencies, 0.99), 1),
        "latency_max_ms": round(max(latencies), 1) if latencies else None,
        "lost": lost,
        "resyncs": sum(s["resyncs"] for s in states),
        "errors": [e for r in results for e in r["errors"]][:3],
        "daphne_rss_idle_mb": round(rss_idle / 2**20, 1),
        "daphne_rss_loaded_mb": round(rss_loaded / 2**20, 1),
        "daphne_mb_per_1000_connections": round(
            (rss_loaded - rss_idle) / 2**20 * 1000 / max(1, synced), 1
        ),
        "daphne_cpu_percent": round(100 * cpu / (args.duration + args.drain), 1),
        "clients_cpu_percent": round(100 * client_cpu / (args.duration + args.drain), 1),
    }


def report(result: dict) -> None:
    print(f"\n== layer: {result['layer']} ==")
    print(
        f"clients connected      {result['connected']} / {result['clients']} "
        f"(all subscribed: {result['synced']}, in {result['connect_seconds']} s)"
    )
    print(
        f"orders placed          {result['orders_placed']} (failed {result['orders_failed']}; "
        f"HTTP p50 {result['order_http_p50_ms']} ms) -> book seq {result['book_seq']}, "
        f"trade seq {result['trade_seq']}"
    )
    print(f"messages received      {result['messages']:,}")
    print(
        f"latency commit->client p50 {result['latency_p50_ms']} ms, "
        f"p99 {result['latency_p99_ms']} ms, max {result['latency_max_ms']} ms"
    )
    print(f"messages lost          {result['lost']} (resyncs {result['resyncs']})")
    print(
        f"daphne memory          {result['daphne_mb_per_1000_connections']} MB per 1,000 "
        f"connections (RSS {result['daphne_rss_idle_mb']} MB idle, "
        f"{result['daphne_rss_loaded_mb']} MB loaded)"
    )
    print(
        f"CPU                    daphne {result['daphne_cpu_percent']}%, "
        f"client processes {result['clients_cpu_percent']}% (of one core)"
    )
    if result["errors"]:
        print(f"errors                 {result['errors']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    s = sub.add_parser("serve", help="(internal) run daphne with a given layer")
    s.add_argument("--layer", choices=sorted(LAYERS), required=True)
    s.add_argument("--port", type=int, required=True)
    c = sub.add_parser("clients", help="(internal) a process of websocket clients")
    c.add_argument("--url", required=True)
    c.add_argument("--origin", required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--clients", type=int, default=1000, help="websockets (default 1000)")
    parser.add_argument("--rate", type=float, default=10.0, help="orders per second (default 10)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of orders")
    parser.add_argument("--drain", type=float, default=3.0, help="seconds to wait afterwards")
    parser.add_argument("--layer", choices=[*sorted(LAYERS), "both"], default="pubsub")
    parser.add_argument("--client-procs", type=int, default=1, help="client processes")
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database-url", help="default: a scratch SQLite file")
    parser.add_argument("--json", action="store_true", help="also print results as JSON")
    parser.add_argument("--quiet", action="store_true", help="hide daphne's log")
    args = parser.parse_args()

    if args.command == "serve":
        serve(args.layer, args.port)
        return
    if args.command == "clients":
        clients(args.url, args.origin, args.count, args.concurrency)
        return

    print(f"fd limit {raise_fd_limit()}; {os.cpu_count()} CPUs")
    _setup_django(args)
    from django.conf import settings

    print(
        f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"redis {settings.REDIS_URL}"
    )
    layers = sorted(LAYERS) if args.layer == "both" else [args.layer]
    results = []
    for layer in layers:
        headers = _prepare()
        result = run_once(args, layer, headers)
        report(result)
        results.append(result)
    if args.json:
        print(json.dumps(results, indent=2))
    if any(r["lost"] or r["connected"] < r["clients"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
