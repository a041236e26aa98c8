#!/usr/bin/env python3
"""Time our OrderBook against bench_peers' RefHeapq on the same 200,000-op stream.

The stream generator and the reference engine are imported from the shared bench script
(`../shared/bench/bench_peers.py` next to the repository, or `--peers PATH`), never copied.
Each engine gets a fresh book per run, a `gc.collect()` before it and the collector left
enabled during it, so both pay the same garbage-collection costs. Exits 1 if the two end
states (best bid, best ask, resting bid and ask volume) differ. `--timer process` times both
engines by this process's CPU time instead of the wall clock: on a machine shared with other
work the wall clock also counts the time the scheduler gave to others.

    .venv/bin/python bench/engine_stream.py
    .venv/bin/python bench/engine_stream.py --runs 5 --results
    .venv/bin/python bench/engine_stream.py --runs 5 --timer process
"""

from __future__ import annotations

import argparse
import gc
import importlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from trading.engine import BUY, GTC, IOC, SELL, IncomingOrder, OrderBook  # noqa: E402

DEFAULT_PEERS = REPO.parent / "shared" / "bench" / "bench_peers.py"

Summary = tuple[int | None, int | None, int, int]

# The clock every feed reads; main() sets it from --timer, the same one for both engines.
clock = time.perf_counter


def load_peers(path: Path) -> ModuleType:
    """Import bench_peers from `path` (the file or its folder), putting its folder on sys.path."""
    if path.is_dir():
        path = path / "bench_peers.py"
    if not path.is_file():
        sys.exit(f"bench_peers.py not found at {path} (use --peers PATH)")
    sys.path.insert(0, str(path.parent))
    return importlib.import_module(path.stem)


def feed_ours_place(ops: list[tuple]) -> tuple[float, Summary]:
    """Feed the stream through `OrderBook.place` (no result objects); time it."""
    book = OrderBook()
    place, cancel = book.place, book.cancel
    gc.collect()
    t0 = clock()
    for op in ops:
        kind = op[0]
        if kind == "L":
            # The stream has no accounts: one account per order keeps every self-trade
            # check running without ever firing, so the end state must equal RefHeapq's.
            place(op[1], op[1], BUY if op[2] else SELL, op[3], op[4], GTC)
        elif kind == "C":
            cancel(op[1])
        else:
            place(op[1], op[1], BUY if op[2] else SELL, None, op[3], IOC)
    elapsed = clock() - t0
    return elapsed, summarize(book)


def feed_ours_submit(ops: list[tuple]) -> tuple[float, Summary]:
    """Feed the stream through `OrderBook.submit` with IncomingOrder in, MatchResult out."""
    book = OrderBook()
    submit, cancel = book.submit, book.cancel
    gc.collect()
    t0 = clock()
    for op in ops:
        kind = op[0]
        if kind == "L":
            submit(IncomingOrder(op[1], op[1], BUY if op[2] else SELL, op[3], op[4], GTC))
        elif kind == "C":
            cancel(op[1])
        else:
            submit(IncomingOrder(op[1], op[1], BUY if op[2] else SELL, None, op[3], IOC))
    elapsed = clock() - t0
    return elapsed, summarize(book)


def summarize(book: OrderBook) -> Summary:
    """End state in bench_peers' order: best bid, best ask, bid volume, ask volume."""
    return book.best_bid(), book.best_ask(), book.bid_volume(), book.ask_volume()


def make_ref_feed(peers: ModuleType) -> Callable[[list[tuple]], tuple[float, Summary]]:
    """A feed function for bench_peers.RefHeapq with the same loop shape as ours."""

    def feed_ref(ops: list[tuple]) -> tuple[float, Summary]:
        eng = peers.RefHeapq()
        lim, mkt, can = eng.limit, eng.market, eng.cancel
        gc.collect()
        t0 = clock()
        for op in ops:
            kind = op[0]
            if kind == "L":
                lim(op[1], op[2], op[3], op[4])
            elif kind == "C":
                can(op[1])
            else:
                mkt(op[1], op[2], op[3])
        elapsed = clock() - t0
        return elapsed, tuple(eng.summary())

    return feed_ref


def measure(
    feed: Callable[[list[tuple]], tuple[float, Summary]], ops: list[tuple], runs: int
) -> tuple[float, list[float], Summary]:
    """Median ops/s over `runs` fresh runs, every run's rate, and the last end state."""
    rates, summary = [], None
    for _ in range(runs):
        elapsed, summary = feed(ops)
        rates.append(len(ops) / elapsed)
    assert summary is not None
    return statistics.median(rates), rates, summary


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures; 1 if the end states differ."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--peers",
        type=Path,
        default=DEFAULT_PEERS,
        help="bench_peers.py or its folder (default: ../shared/bench beside the repository)",
    )
    ap.add_argument("--n", type=int, default=200_000, help="stream length (default 200,000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--runs", type=int, default=3, help="runs per engine; the median counts")
    ap.add_argument(
        "--results",
        action="store_true",
        help="also time OrderBook.submit (IncomingOrder in, full MatchResult out)",
    )
    ap.add_argument(
        "--timer",
        choices=("wall", "process"),
        default="wall",
        help="wall clock (default) or this process's CPU time, for both engines alike",
    )
    args = ap.parse_args(argv)
    global clock
    clock = time.perf_counter if args.timer == "wall" else time.process_time

    peers = load_peers(args.peers)
    ops = peers.make_stream(args.n, args.seed)
    counts = {k: sum(1 for op in ops if op[0] == k) for k in "LCM"}
    print(
        f"python {sys.version.split()[0]}; stream from {args.peers}: {len(ops):,} ops "
        f"(limit {counts['L']:,}, cancel {counts['C']:,}, market {counts['M']:,}), "
        f"seed {args.seed}, median of {args.runs}, {args.timer} time"
    )

    engines: list[tuple[str, Callable[[list[tuple]], tuple[float, Summary]]]] = [
        ("ours: OrderBook.place", feed_ours_place),
        ("ref_heapq: bench_peers.RefHeapq", make_ref_feed(peers)),
    ]
    if args.results:
        engines.insert(1, ("ours: OrderBook.submit (MatchResult)", feed_ours_submit))
    figures = {}
    for label, feed in engines:
        med, rates, summary = measure(feed, ops, args.runs)
        figures[label] = (med, summary)
        runs = ", ".join(f"{r:,.0f}" for r in rates)
        print(f"  {label:40s} {med:12,.0f} ops/s  (runs: {runs})")
        print(
            f"  {'':40s} end state: best bid {summary[0]}, best ask {summary[1]}, "
            f"bid vol {summary[2]}, ask vol {summary[3]}"
        )

    ours_rate, ours_state = figures["ours: OrderBook.place"]
    ref_rate, ref_state = figures["ref_heapq: bench_peers.RefHeapq"]
    print(f"  ratio ours/ref_heapq: {ours_rate / ref_rate:.2f}")
    if args.results:
        sub_rate, _ = figures["ours: OrderBook.submit (MatchResult)"]
        print(f"  ratio ours (submit, full results)/ref_heapq: {sub_rate / ref_rate:.2f}")
    states = {label: state for label, (_, state) in figures.items()}
    if len(set(states.values())) != 1:
        print("  END STATES DIFFER:", states)
        return 1
    print("  end states agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
