"""Replay a LOBSTER sample (NASDAQ order flow) through OrderBook and score it.

    .venv/bin/python bench/lobster_replay.py LOBSTER_SampleFile_GOOG_2012-06-21_10.zip [--levels N]

A LOBSTER sample is a message file (one row per book event: 1 submit, 2 partial cancel,
3 delete, 4 visible execution, 5 hidden execution, 6 cross, 7 halt; direction 1 = the bid
side, -1 = the ask side, for executions the side of the *resting* order) and an orderbook
file whose row i is the top of the book after message i. Two figures come out:

- book check: the share of rows where our top N levels (prices and sizes, both sides) equal
  LOBSTER's, as they stand, before any correction;
- matching check: for every visible execution, does the engine, hit by an aggressor of that
  size at that price, fill first the very order NASDAQ executed? Counted separately on
  "clean" levels (never corrected from the orderbook file) and on corrected ones.

What we cannot know is made explicit rather than guessed. The session opens with orders
placed before the sample: row 0 seeds the book with *anonymous* volume (no id, no account).
The files only carry events inside the requested levels, so volume can appear or vanish
outside our view: after a mismatching row the book is corrected to LOBSTER's row (anonymous
volume added at the back of a level, or removed, anonymous first, then newest first), and
the level is marked corrected so that the matching check can tell clean from patched queues.
A cancel or execution of an order we never saw takes anonymous volume at its price, and when
there is none, the known orders there give way (they are stale): this too marks the level.

Submissions go in through `OrderBook.place`. An execution the engine agrees with (its first
and only fill is NASDAQ's order, for the whole size) is replayed by matching an aggressor
through the engine; any other is applied to the named order directly so that one
disagreement does not spread. It reads files, runs the reference script and times itself,
so it lives with the benchmarks, outside the pure engine it drives.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: the engine is imported from this checkout
    sys.path.insert(0, str(REPO))

from trading.engine.book import OrderBook  # noqa: E402
from trading.engine.core import match  # noqa: E402
from trading.engine.orders import BUY, GTC, IOC, SELL, IncomingOrder, RestingOrder  # noqa: E402

ASK_DUMMY = 9999999999  # LOBSTER's price for an empty ask level (size 0)
BID_DUMMY = -9999999999
SUBMIT, PARTIAL_CANCEL, DELETE, VISIBLE_EXEC, HIDDEN_EXEC = 1, 2, 3, 4, 5
SHARED = REPO.parent / "shared"
DEFAULT_ZIP = SHARED / "data" / "lobster" / "LOBSTER_SampleFile_GOOG_2012-06-21_10.zip"
REFERENCE_SCRIPT = SHARED / "tools" / "lobster_replay_reference.py"

Message = tuple[str, int, int, int, int, int]  # time, type, order id, size, price, direction


@dataclass(frozen=True)
class AnonymousVolume:
    """Id of volume whose orders we never saw (seeded or patched in), distinct per block."""

    serial: int


@dataclass
class ReplayReport:
    """The figures of one replay."""

    label: str
    levels: int
    messages: int
    rows_compared: int = 0
    rows_equal: int = 0
    seconds: float = 0.0
    types: Counter = field(default_factory=Counter)
    first_diff_level: Counter = field(default_factory=Counter)
    executions: Counter = field(default_factory=Counter)  # "clean/head_of_queue", ...
    sweeps: Counter = field(default_factory=Counter)  # "clean/exact", ...
    unseen_volume_events: int = 0
    engine_executions: int = 0  # executions replayed by matching through the engine
    crossing_submissions: int = 0

    @property
    def book_share(self) -> float:
        """Share of rows whose top N equals LOBSTER's."""
        return self.rows_equal / self.rows_compared if self.rows_compared else 0.0

    def head_share(self, kind: str = "clean") -> float:
        """Share of visible executions on `kind` levels where our first fill was NASDAQ's."""
        total = sum(v for k, v in self.executions.items() if k.startswith(kind + "/"))
        return self.executions[kind + "/head_of_queue"] / total if total else 0.0


# ----------------------------------------------------------------------------- input
def open_sample(path: Path) -> tuple[Iterator[list[str]], Iterator[list[str]], int, str]:
    """Message rows, orderbook rows, the file's level count and a label, from a sample zip."""
    archive = zipfile.ZipFile(path)
    names = archive.namelist()
    message_name = next(n for n in names if "_message_" in n)
    book_name = next(n for n in names if "_orderbook_" in n)
    found = re.search(r"_(\d+)\.csv$", message_name)
    if found is None:
        raise ValueError(f"cannot read the level count from {message_name}")

    def rows(name: str) -> Iterator[list[str]]:
        with archive.open(name) as raw:
            yield from csv.reader(io.TextIOWrapper(raw, encoding="ascii", newline=""))

    return rows(message_name), rows(book_name), int(found.group(1)), message_name


# ------------------------------------------------------------------------ the replay
class Replayer:
    """Drives an OrderBook from LOBSTER messages and keeps the score."""

    def __init__(self, file_levels: int, compare_levels: int) -> None:
        self.book = OrderBook()
        self.file_levels = file_levels
        self.columns = 4 * compare_levels
        self.serial = 0
        # (side, price) of levels ever corrected from the orderbook file.
        self.corrected: set[tuple[str, int]] = set()

    # -- book edits -------------------------------------------------------------
    def add_anonymous(self, side: str, price: int, qty: int) -> None:
        """Put `qty` of volume we never saw at the back of a level."""
        self.serial += 1
        seq = self.book.last_seq + 1
        self.book.add(RestingOrder(AnonymousVolume(self.serial), None, side, price, qty, seq))

    def take_anonymous(self, side: str, price: int, qty: int) -> int:
        """Remove up to `qty` of anonymous volume at a level, front first; return what is left."""
        for order in self.book.orders_at(side, price):
            if not qty:
                break
            if isinstance(order.order_id, AnonymousVolume):
                qty -= self.book.reduce(order.order_id, qty)
        return qty

    def remove_volume(self, side: str, price: int, qty: int) -> None:
        """Remove `qty` at a level: anonymous volume first, then the newest known orders."""
        qty = self.take_anonymous(side, price, qty)
        # What is still too much are known orders whose cancel or execution happened while
        # their level was out of the file's view; the newest are the likeliest.
        for order in reversed(self.book.orders_at(side, price)):
            if not qty:
                break
            qty -= self.book.reduce(order.order_id, qty)

    def seed(self, row: list[int]) -> None:
        """Fill an empty book from an orderbook row, as anonymous volume."""
        for level in range(self.file_levels):
            ask_price, ask_size, bid_price, bid_size = row[4 * level : 4 * level + 4]
            if ask_size > 0 and ask_price != ASK_DUMMY:
                self.add_anonymous(SELL, ask_price, ask_size)
            if bid_size > 0 and bid_price != BID_DUMMY:
                self.add_anonymous(BUY, bid_price, bid_size)

    def correct(self, row: list[int]) -> None:
        """Make our top levels equal the orderbook row, marking every level changed."""
        for side, offset, dummy in ((SELL, 0, ASK_DUMMY), (BUY, 2, BID_DUMMY)):
            target = {}
            for level in range(self.file_levels):
                price, size = row[4 * level + offset], row[4 * level + offset + 1]
                if size > 0 and price != dummy:
                    target[price] = size
            # With every level filled the file shows only part of the side: leave what lies
            # beyond its worst level alone. With fewer, the file shows the whole side.
            worst = None
            if len(target) == self.file_levels:
                worst = min(target) if side == BUY else max(target)
            ours = []
            for price, total in self.book.levels(side):
                if worst is not None and (price < worst if side == BUY else price > worst):
                    break
                ours.append((price, total))
            for price, have in ours:
                want = target.pop(price, 0)
                if want > have:
                    self.add_anonymous(side, price, want - have)
                elif want < have:
                    self.remove_volume(side, price, have - want)
                if want != have:
                    self.corrected.add((side, price))
            for price, size in target.items():
                self.add_anonymous(side, price, size)
                self.corrected.add((side, price))

    # -- reading the book -------------------------------------------------------
    def top_row(self) -> list[int]:
        """Our top levels (as many as the file has) in LOBSTER's row layout, with its dummies."""
        n = self.file_levels
        bids, asks = self.book.depth(n)
        row = []
        for level in range(n):
            ask = asks[level] if level < len(asks) else (ASK_DUMMY, 0)
            bid = bids[level] if level < len(bids) else (BID_DUMMY, 0)
            row += (ask[0], ask[1], bid[0], bid[1])
        return row

    def predict(self, resting_side: str, price: int | None, qty: int) -> list[tuple]:
        """The engine's fills for an aggressor hitting `resting_side`, changing nothing."""
        aggressor_side = SELL if resting_side == BUY else BUY
        incoming = IncomingOrder(None, None, aggressor_side, price, qty, IOC)
        result = match(incoming, self.book.resting(resting_side))
        return [(f.maker_order_id, f.price, f.qty) for f in result.fills]

    def clean(self, resting_side: str, prices: list[int]) -> str:
        """'clean' if no level among `prices` was ever corrected, else 'corrected'."""
        corrected = any((resting_side, p) in self.corrected for p in prices)
        return "corrected" if corrected else "clean"

    # -- checks -----------------------------------------------------------------
    def check_execution(
        self, report: ReplayReport, order_id: int, size: int, price: int, side: str
    ) -> list[tuple]:
        """Score one visible execution; return the engine's predicted fills."""
        fills = self.predict(side, price, size)
        kind = self.clean(side, [price])
        if not fills or fills[0][1] != price:
            verdict = "not_at_best_price"
        elif fills[0][0] == order_id:
            verdict = "head_of_queue"
        elif isinstance(fills[0][0], AnonymousVolume):
            verdict = "head_is_unknown_id" if order_id not in self.book else "behind_unknown"
        else:
            verdict = "not_head_of_queue"
        report.executions[f"{kind}/{verdict}"] += 1
        return fills

    def check_sweep(
        self, report: ReplayReport, executed: list[tuple[int, int, int]], side: str
    ) -> None:
        """Score one aggressor: all its visible executions against the engine's fills."""
        predicted = self.predict(side, None, sum(size for _, size, _ in executed))

        def runs(fills: list[tuple], anonymous: Callable[[object], bool]) -> list[tuple]:
            # Volume we hold anonymously may stand for any order we never saw, so runs of it
            # at one price compare by size only.
            out: list[tuple] = []
            for order_id, price, qty in fills:
                key = (price, "?" if anonymous(order_id) else order_id)
                if out and out[-1][0] == key:
                    out[-1] = (key, out[-1][1] + qty)
                else:
                    out.append((key, qty))
            return out

        ours = runs(predicted, lambda oid: isinstance(oid, AnonymousVolume))
        theirs = runs(
            [(oid, price, size) for oid, size, price in executed], lambda oid: oid not in self.book
        )
        if ours != theirs:
            verdict = "mismatch"
        elif any(key[1] == "?" for key, _ in ours):
            verdict = "consistent"
        else:
            verdict = "exact"
        prices = [p for _, p, _ in predicted] + [p for _, _, p in executed]
        report.sweeps[f"{self.clean(side, prices)}/{verdict}"] += 1

    # -- applying messages ------------------------------------------------------
    def reduce(
        self,
        report: ReplayReport,
        order_id: int,
        size: int,
        price: int,
        side: str,
        executed: bool = False,
    ) -> None:
        """A partial cancel, delete or execution of a resting order, by id or anonymously."""
        if order_id in self.book:
            self.book.reduce(order_id, size)
            return
        # Entered before the sample or while outside the file's levels: anonymous volume
        # stands for it. When there is not enough, the known orders still standing at that
        # price are the stale ones (their own end fell outside the file's view), so they
        # give way: from the head for an execution, which NASDAQ takes from the front of
        # the queue, from the back for a cancel, as when correcting. The guess marks the
        # level as corrected.
        left = self.take_anonymous(side, price, size)
        if left:
            report.unseen_volume_events += 1
            known = self.book.orders_at(side, price)
            for order in known if executed else reversed(known):
                if not left:
                    break
                left -= self.book.reduce(order.order_id, left)
                self.corrected.add((side, price))

    def execute(self, report: ReplayReport, msg: Message, predicted: list[tuple]) -> None:
        """Apply a visible execution: through the engine when it agrees, else by id."""
        _, _, order_id, size, price, direction = msg
        side = BUY if direction == 1 else SELL
        if predicted == [(order_id, price, size)]:
            aggressor = SELL if side == BUY else BUY
            filled = self.book.place(None, None, aggressor, price, size, IOC)
            assert filled == size, "the engine disagreed with its own prediction"
            report.engine_executions += 1
        else:
            self.reduce(report, order_id, size, price, side, executed=True)

    def submit(self, report: ReplayReport, msg: Message) -> None:
        """A new limit order: it goes through the engine like any order."""
        _, _, order_id, size, price, direction = msg
        side = BUY if direction == 1 else SELL
        if order_id in self.book:
            # An id LOBSTER reuses for a new order (a modify): the old one is gone.
            self.book.cancel(order_id)
        if self.book.place(order_id, None, side, price, size, GTC):
            report.crossing_submissions += 1


def replay(
    path: Path,
    levels: int | None = None,
    limit: int | None = None,
    resync: bool = True,
    show: int = 0,
) -> ReplayReport:
    """Replay a LOBSTER sample zip and return its figures."""
    message_rows, book_rows, file_levels, label = open_sample(path)
    n = levels or file_levels
    if not 0 < n <= file_levels:
        raise ValueError(f"--levels must be between 1 and {file_levels}")
    messages: list[Message] = [
        (m[0], int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5])) for m in message_rows
    ]
    if limit:
        messages = messages[:limit]
    report = ReplayReport(label=label, levels=n, messages=len(messages))
    report.types.update(m[1] for m in messages)
    replayer = Replayer(file_levels, n)
    columns = 4 * n
    sweep_key = None
    started = time.perf_counter()
    for i, (msg, raw_row) in enumerate(zip(messages, book_rows, strict=False)):
        row = [int(x) for x in raw_row[: 4 * file_levels]]
        if i == 0:
            # Row 0 is the book after message 0 of a session that opened on a book whose
            # orders we never saw: it becomes anonymous volume, scoring starts at message 1.
            replayer.seed(row)
            continue
        stamp, kind, order_id, size, price, direction = msg
        side = BUY if direction == 1 else SELL

        # Matching checks run on the book as it was before the message.
        if kind in (VISIBLE_EXEC, HIDDEN_EXEC):
            if sweep_key != (stamp, direction):
                # Executions with one time stamp on one side are one aggressor's sweep.
                sweep_key = (stamp, direction)
                executed = []
                j = i
                while (
                    j < len(messages)
                    and messages[j][0] == stamp
                    and messages[j][1] in (VISIBLE_EXEC, HIDDEN_EXEC)
                    and messages[j][5] == direction
                ):
                    if messages[j][1] == VISIBLE_EXEC:
                        executed.append((messages[j][2], messages[j][3], messages[j][4]))
                    j += 1
                if executed:
                    replayer.check_sweep(report, executed, side)
        else:
            sweep_key = None

        if kind == SUBMIT:
            replayer.submit(report, msg)
        elif kind == VISIBLE_EXEC:
            predicted = replayer.check_execution(report, order_id, size, price, side)
            replayer.execute(report, msg, predicted)
        elif kind in (PARTIAL_CANCEL, DELETE):
            replayer.reduce(report, order_id, size, price, side)
        # Hidden executions, crosses and halts leave the visible book as it is.

        ours = replayer.top_row()
        report.rows_compared += 1
        if ours[:columns] == row[:columns]:
            report.rows_equal += 1
            if resync and ours != row:
                # Equal where scored, different in the levels beyond: correct those quietly
                # so the next rows start from what LOBSTER knows.
                replayer.correct(row)
        else:
            first = next(k for k in range(columns) if ours[k] != row[k]) // 4 + 1
            report.first_diff_level[first] += 1
            if show > 0:
                show -= 1
                print(f"  row {i} differs from level {first} on, after {msg}")
                print(f"    lobster: {row[:12]} ...")
                print(f"    ours   : {ours[:12]} ...")
            if resync:
                replayer.correct(row)
    report.seconds = time.perf_counter() - started
    return report


# ------------------------------------------------------------------ the reference
def reference_figures(
    script: Path, sample: Path, limit: int | None = None, levels: int | None = None
) -> tuple[float, float] | None:
    """Run the shared reference replay; return its (book share, clean head-of-queue share)."""
    if not script.is_file():
        return None
    command = [sys.executable, str(script), str(sample), "--show", "0"]
    if limit:
        command += ["--limit", str(limit)]
    if levels:
        command += ["--compare", str(levels)]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600).stdout
    rows = re.search(r"book check: (\d+)/(\d+) rows", out)
    executions = dict(
        (m.group(1), int(m.group(2)))
        for m in re.finditer(r"^\s+(\w+_level:\w+)\s+(\d+)\s", out, re.M)
    )
    if rows is None:
        raise ValueError("could not read the reference's output:\n" + out)
    # Its per-execution block comes first; the per-sweep keys have other verdicts.
    clean = {k: v for k, v in executions.items() if k.startswith("clean_level:")}
    clean = {k: v for k, v in clean.items() if not k.endswith(("exact", "consistent", "mismatch"))}
    head = clean.get("clean_level:head_of_queue", 0) / max(sum(clean.values()), 1)
    return int(rows.group(1)) / int(rows.group(2)), head


# ---------------------------------------------------------------------------- CLI
def print_report(report: ReplayReport) -> None:
    """Print the figures of one replay."""
    print(
        f"\n== {report.label}: {report.messages:,} messages, top {report.levels} levels "
        f"compared ({report.seconds:.1f}s)"
    )
    print("   message types:", dict(sorted(report.types.items())))
    print(
        f"   book check: {report.rows_equal:,}/{report.rows_compared:,} rows equal LOBSTER's "
        f"top {report.levels} levels ({100 * report.book_share:.3f}%)"
    )
    if report.first_diff_level:
        print(
            "   differing rows by first differing level:",
            dict(sorted(report.first_diff_level.items())),
        )
    for kind in ("clean", "corrected"):
        total = sum(v for k, v in report.executions.items() if k.startswith(kind + "/"))
        head = report.executions[kind + "/head_of_queue"]
        print(
            f"   matching check, {kind} levels: the engine's first fill is the order NASDAQ "
            f"executed in {head:,}/{total:,} visible executions ({100 * report.head_share(kind):.2f}%)"
        )
    print("   per visible execution:", dict(report.executions.most_common()))
    print("   per aggressor sweep:  ", dict(report.sweeps.most_common()))
    print(
        f"   executions replayed through the engine: {report.engine_executions:,}; "
        f"submissions that traded on our book: {report.crossing_submissions:,}; "
        f"reductions of volume never seen: {report.unseen_volume_events:,}"
    )


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("zip", nargs="?", type=Path, default=DEFAULT_ZIP, help="LOBSTER sample zip")
    ap.add_argument("--levels", type=int, help="levels compared (default: all in the file)")
    ap.add_argument("--limit", type=int, help="replay only the first LIMIT messages")
    ap.add_argument("--no-resync", action="store_true", help="never correct the book")
    ap.add_argument("--show", type=int, default=0, help="print the first SHOW differing rows")
    ap.add_argument(
        "--reference",
        action="store_true",
        help=f"also run {REFERENCE_SCRIPT.name} on the same messages and compare",
    )
    args = ap.parse_args(argv)
    if not args.zip.is_file():
        print(f"no such sample: {args.zip}", file=sys.stderr)
        return 2
    report = replay(args.zip, args.levels, args.limit, not args.no_resync, args.show)
    print_report(report)
    if args.reference:
        if args.no_resync:
            print("   (the reference below resyncs: it is not comparable with --no-resync)")
        figures = reference_figures(REFERENCE_SCRIPT, args.zip, args.limit, args.levels)
        if figures is None:
            print(f"   reference script not found at {REFERENCE_SCRIPT}")
        else:
            book, head = figures
            print(
                f"   reference: book check {100 * book:.3f}%, first-in-queue on clean levels "
                f"{100 * head:.2f}%  |  ours: {100 * report.book_share:.3f}%, "
                f"{100 * report.head_share():.2f}%"
            )
    return 0 if report.rows_compared else 1


if __name__ == "__main__":
    sys.exit(main())
