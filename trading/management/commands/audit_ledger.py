"""`manage.py audit_ledger`: prove on a live database that no money or share was made or lost.

Checks, each over the whole database:

- every account's cash equals the sum of its cash ledger rows, and its last row's balance;
- every position's quantity equals the sum of its share ledger rows;
- all cash together equals the opening deposits plus staff adjustments (trades and fees only
  move cash between accounts), and all shares of a stock equal what staff granted;
- every open buy order holds exactly `pricing.reservation(limit, remaining)`, every other
  order holds nothing, an account's reserved cash is the sum of its open buys' reservations
  and a position's reserved quantity is the sum of its open sells' remaining quantity;
- the aggregated book (`BookLevel`) equals the open orders grouped by price, and is not
  crossed;
- every order's filled quantity equals the sum of its trades, and its status agrees with it;
- nothing is negative and no reservation exceeds what it reserves from.

Reservations are checked against the fee settings in force now: run it with the fees the
orders were placed under. Exits with status 1 and lists every violation; prints a summary.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max, Sum

from accounts.models import Account, CashEntry
from marketdata.models import Stock
from trading.models import (
    OPEN_STATUSES,
    Auction,
    Bid,
    BookLevel,
    Order,
    Position,
    ShareEntry,
    Trade,
)
from trading.pricing import reservation

ZERO = Decimal("0")
# Cash that enters or leaves the system as a whole; every other kind only moves it around.
EXTERNAL_CASH_KINDS = (CashEntry.Kind.OPENING, CashEntry.Kind.ADJUSTMENT)


@dataclass
class Audit:
    """What was checked (counts and totals) and what was wrong."""

    summary: dict[str, object] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.violations.append(message)


def _symbols() -> dict[int, str]:
    return dict(Stock.objects.values_list("id", "symbol"))


def _check_cash(audit: Audit) -> None:
    ledger = {
        row["account_id"]: row
        for row in CashEntry.objects.values("account_id").annotate(
            total=Sum("amount"), last_id=Max("id")
        )
    }
    last_balance = dict(
        CashEntry.objects.filter(id__in=[r["last_id"] for r in ledger.values()]).values_list(
            "account_id", "balance_after"
        )
    )
    total_cash = total_reserved = ZERO
    accounts = 0
    for acct_id, number, cash, reserved in Account.objects.values_list(
        "id", "account_number", "cash", "reserved_cash"
    ):
        accounts += 1
        total_cash += cash
        total_reserved += reserved
        row = ledger.pop(acct_id, None)
        summed = row["total"] if row else ZERO
        if cash != summed:
            audit.fail(f"account {number}: cash {cash} but its ledger rows sum to {summed}")
        if row and last_balance.get(acct_id) != cash:
            audit.fail(
                f"account {number}: cash {cash} but its last ledger row says "
                f"{last_balance.get(acct_id)}"
            )
        if cash < 0 or reserved < 0 or reserved > cash:
            audit.fail(f"account {number}: cash {cash}, reserved {reserved} out of bounds")
    for acct_id in ledger:
        audit.fail(f"cash ledger rows for a missing account {acct_id}")
    external = (
        CashEntry.objects.filter(kind__in=EXTERNAL_CASH_KINDS).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    if total_cash != external:
        audit.fail(
            f"total cash {total_cash} differs from deposits and adjustments {external} "
            f"by {total_cash - external}"
        )
    audit.summary.update(
        accounts=accounts,
        total_cash=total_cash,
        deposits_and_adjustments=external,
        total_reserved_cash=total_reserved,
    )


def _check_shares(audit: Audit, symbols: dict[int, str]) -> None:
    ledger = {
        (r["user_id"], r["stock_id"]): r["total"]
        for r in ShareEntry.objects.values("user_id", "stock_id").annotate(total=Sum("qty"))
    }
    grants = defaultdict(int)
    for stock_id, total in (
        ShareEntry.objects.filter(kind=ShareEntry.Kind.GRANT)
        .values_list("stock_id")
        .annotate(total=Sum("qty"))
    ):
        grants[stock_id] = total
    held: dict[int, int] = defaultdict(int)
    positions = 0
    for user_id, stock_id, qty, reserved in Position.objects.values_list(
        "user_id", "stock_id", "qty", "reserved_qty"
    ):
        positions += 1
        held[stock_id] += qty
        where = f"position of user {user_id} in {symbols.get(stock_id, stock_id)}"
        summed = ledger.pop((user_id, stock_id), 0)
        if qty != summed:
            audit.fail(f"{where}: qty {qty} but its ledger rows sum to {summed}")
        if qty < 0 or reserved < 0 or reserved > qty:
            audit.fail(f"{where}: qty {qty}, reserved {reserved} out of bounds")
    for (user_id, stock_id), summed in ledger.items():
        if summed:
            audit.fail(
                f"share ledger of user {user_id} in {symbols.get(stock_id, stock_id)} sums to "
                f"{summed} but there is no position"
            )
    for stock_id in sorted(set(held) | set(grants)):
        if held[stock_id] != grants[stock_id]:
            audit.fail(
                f"{symbols.get(stock_id, stock_id)}: {held[stock_id]} shares held but "
                f"{grants[stock_id]} granted"
            )
    audit.summary.update(positions=positions, total_shares=sum(held.values()))


def _auction_reservations(audit: Audit, held_cash: dict, held_shares: dict) -> None:
    """Leading bids hold their maximum × the lot; live auctions hold the seller's shares."""
    for bid_id, auction_id, user_id, qty, max_price, reserved, status in Bid.objects.values_list(
        "id", "auction_id", "bidder_id", "auction__qty", "max_price", "reserved_cash", "status"
    ).iterator(chunk_size=5000):
        where = f"bid {bid_id} on auction {auction_id}"
        if status != Bid.Status.LEADING:
            if reserved:
                audit.fail(f"{where}: {status} but still holds {reserved}")
            continue
        if max_price is None:
            audit.fail(f"{where}: leading without a maximum")
            continue
        if reserved != reservation(max_price, qty):
            audit.fail(
                f"{where}: holds {reserved}, its maximum needs {reservation(max_price, qty)}"
            )
        held_cash[user_id] += reserved
    leaders = dict(
        Auction.objects.filter(status__in=["scheduled", "open"]).values_list("id", "leading_bid_id")
    )
    for auction_id, leading in leaders.items():
        if leading is not None and not Bid.objects.filter(pk=leading, status="leading").exists():
            audit.fail(f"auction {auction_id}: its leading bid {leading} is not leading")
    for seller_id, stock_id, qty in Auction.objects.filter(
        status__in=["scheduled", "open"]
    ).values_list("seller_id", "stock_id", "qty"):
        held_shares[(seller_id, stock_id)] += qty


@dataclass
class _OpenOrders:
    """What the open orders hold and make, summed while each order is checked."""

    count: int = 0
    held_cash: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    held_shares: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    levels: dict[tuple[int, str, Decimal], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )
    best: dict[tuple[int, str], Decimal] = field(default_factory=dict)


def _check_orders(audit: Audit, symbols: dict[int, str]) -> None:
    """Per-order reservations and fills; per-account and per-position reservation totals."""
    traded: dict[object, int] = defaultdict(int)
    for key in ("buy_order_id", "sell_order_id"):
        for order_id, qty in Trade.objects.values_list(key).annotate(q=Sum("qty")):
            traded[order_id] += qty
    sums = _OpenOrders()
    rows = Order.objects.values_list(
        "id",
        "user_id",
        "stock_id",
        "side",
        "limit_price",
        "qty",
        "filled_qty",
        "reserved_cash",
        "status",
    )
    for row in rows.iterator(chunk_size=5000):
        _check_order(audit, symbols, traded, sums, *row)
    _auction_reservations(audit, sums.held_cash, sums.held_shares)
    _check_holds(audit, symbols, sums)
    stored = _check_levels(audit, symbols, sums)
    audit.summary.update(
        orders=Order.objects.count(),
        open_orders=sums.count,
        book_levels=stored,
        trades=Trade.objects.count(),
    )


def _check_order(
    audit: Audit,
    symbols: dict[int, str],
    traded: dict[object, int],
    sums: _OpenOrders,
    order_id: object,
    user_id: int,
    stock_id: int,
    side: str,
    limit: Decimal | None,
    qty: int,
    filled: int,
    reserved: Decimal,
    status: str,
) -> None:
    where = f"order {order_id} ({symbols.get(stock_id, stock_id)} {side})"
    remaining = qty - filled
    if filled != traded.get(order_id, 0):
        audit.fail(f"{where}: filled {filled} but its trades sum to {traded.get(order_id, 0)}")
    if not 0 <= filled <= qty or reserved < 0:
        audit.fail(f"{where}: qty {qty}, filled {filled}, reserved {reserved} out of bounds")
    if (status == Order.Status.FILLED) != (filled == qty):
        audit.fail(f"{where}: status {status} with {filled} of {qty} filled")
    if status not in OPEN_STATUSES:
        if reserved:
            audit.fail(f"{where}: {status} but still holds {reserved}")
        return
    sums.count += 1
    if limit is None:
        audit.fail(f"{where}: open without a limit price")
        return
    if status == Order.Status.PARTIALLY_FILLED and not filled:
        audit.fail(f"{where}: partially_filled with nothing filled")
    level = sums.levels[(stock_id, side, limit)]
    level[0] += remaining
    level[1] += 1
    key = (stock_id, side)
    if key not in sums.best or (
        limit > sums.best[key] if side == "buy" else limit < sums.best[key]
    ):
        sums.best[key] = limit
    if side == "buy":
        needed = reservation(limit, remaining)
        if reserved != needed:
            audit.fail(f"{where}: holds {reserved}, its remaining {remaining} need {needed}")
        sums.held_cash[user_id] += reserved
    else:
        if reserved:
            audit.fail(f"{where}: a sell holding cash {reserved}")
        sums.held_shares[(user_id, stock_id)] += remaining


def _check_holds(audit: Audit, symbols: dict[int, str], sums: _OpenOrders) -> None:
    """Each account's reserved cash and each position's reserved shares against the orders'."""
    held_cash, held_shares = sums.held_cash, sums.held_shares
    for number, user_id, reserved in Account.objects.values_list(
        "account_number", "user_id", "reserved_cash"
    ):
        want_cash = held_cash.pop(user_id, ZERO)
        if reserved != want_cash:
            audit.fail(
                f"account {number}: reserved {reserved} but its open buys hold {want_cash} (leading bids included)"
            )
    for user_id, held in held_cash.items():
        audit.fail(f"user {user_id} has open buys holding {held} but no account")
    for user_id, stock_id, reserved in Position.objects.values_list(
        "user_id", "stock_id", "reserved_qty"
    ):
        want = held_shares.pop((user_id, stock_id), 0)
        if reserved != want:
            audit.fail(
                f"position of user {user_id} in {symbols.get(stock_id, stock_id)}: "
                f"reserved {reserved} but its open sells have {want} left (auction lots included)"
            )
    for (user_id, stock_id), want in held_shares.items():
        audit.fail(
            f"user {user_id} has open sells of {want} {symbols.get(stock_id, stock_id)} "
            "but no position"
        )


def _check_levels(audit: Audit, symbols: dict[int, str], sums: _OpenOrders) -> int:
    """The stored book levels against the open orders', and no crossed book; levels stored."""
    levels, best = sums.levels, sums.best
    stored = {
        (s, side, price): [qty, n]
        for s, side, price, qty, n in BookLevel.objects.values_list(
            "stock_id", "side", "price", "qty", "orders"
        )
    }
    for key in sorted(set(stored) | set(levels), key=lambda k: (k[0], k[1], k[2])):
        want, have = levels.get(key), stored.get(key)
        if want != have:
            stock_id, side, price = key
            audit.fail(
                f"book level {symbols.get(stock_id, stock_id)} {side} {price}: stored "
                f"{_level(have)}, open orders make {_level(want)}"
            )
    for stock_id in {s for s, _ in best}:
        bid, ask = best.get((stock_id, "buy")), best.get((stock_id, "sell"))
        if bid is not None and ask is not None and bid >= ask:
            audit.fail(f"{symbols.get(stock_id, stock_id)}: book crossed, bid {bid} >= ask {ask}")
    return len(stored)


def _level(value: list[int] | None) -> str:
    return "nothing" if value is None else f"{value[0]} in {value[1]} orders"


def audit_ledger() -> Audit:
    """Run every check in one snapshot of the database, so a busy market audits consistently."""
    audit = Audit()
    symbols = _symbols()
    nested = connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and not nested:
            # READ COMMITTED would let trades land between the queries below and show
            # violations that never existed; REPEATABLE READ sees one committed state.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        _check_cash(audit)
        _check_shares(audit, symbols)
        _check_orders(audit, symbols)
    return audit


class Command(BaseCommand):
    help = "Check that cash, shares, reservations and the book agree with their ledgers."

    def handle(self, *args, **options) -> None:
        audit = audit_ledger()
        width = max(len(k) for k in audit.summary)
        for key, value in audit.summary.items():
            shown = f"{value:,.4f}" if isinstance(value, Decimal) else f"{value:,}"
            self.stdout.write(f"{key.replace('_', ' '):<{width}}  {shown:>20}")
        if audit.violations:
            for violation in audit.violations:
                self.stderr.write(f"VIOLATION: {violation}")
            raise CommandError(f"{len(audit.violations)} violation(s) found.", returncode=1)
        self.stdout.write(self.style.SUCCESS("ledger OK: no violations"))
