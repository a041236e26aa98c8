"""Many traders at once on PostgreSQL: nothing is created, lost or spent twice, nobody deadlocks.

Row locks and concurrent transactions only mean something on PostgreSQL, so this runs there
(CI sets DATABASE_URL) and is skipped on SQLite, whose one writer at a time proves nothing.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from accounts.models import Account, User
from trading.errors import TradingError
from trading.management.commands.audit_ledger import audit_ledger
from trading.models import OPEN_STATUSES, BookLevel, Order, Position, Trade
from trading.pricing import reservation
from trading.services import (
    order_cancel,
    order_cancel_all,
    order_place,
    order_replace,
    orders_expire_day,
)
from trading.tests.factories import give_shares, make_stock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"
    ),
]

THREADS = 8
ACTIONS_PER_THREAD = 50
TICK = Decimal("0.01")
# Refusals a trader may legitimately meet in a busy market; anything else is a bug.
LEGITIMATE = {
    "insufficient_buying_power",
    "insufficient_qty",
    "fok_not_fillable",
    "order_not_cancelable",
    "order_not_replaceable",
}


def _open_order_id(rng: random.Random, user: User):
    ids = list(
        Order.objects.filter(user=user, status__in=OPEN_STATUSES).values_list("id", flat=True)
    )
    return rng.choice(ids) if ids else None


def _act(rng: random.Random, user: User, stocks: list) -> str:
    """One random trader action; returns what it was."""
    stock = rng.choice(stocks)
    # Prices a few ticks either side of the reference, so orders cross, queue and sweep.
    price = stock.reference_price + TICK * rng.randint(-6, 6)
    roll = rng.random()
    if roll < 0.55:
        order_place(
            user=user,
            symbol=stock.symbol,
            side=rng.choice(["buy", "sell"]),
            type="limit",
            time_in_force=rng.choice(["gtc", "gtc", "day", "ioc", "fok"]),
            qty=rng.randint(1, 12),
            limit_price=price,
        )
        return "limit"
    if roll < 0.70:
        order_place(
            user=user,
            symbol=stock.symbol,
            side=rng.choice(["buy", "sell"]),
            type="market",
            time_in_force="day",
            qty=rng.randint(1, 8),
        )
        return "market"
    order_id = _open_order_id(rng, user)
    if roll < 0.95 and order_id is None:
        return "idle"
    if roll < 0.83:
        order_cancel(user=user, order_id=order_id)
        return "cancel"
    if roll < 0.95:
        order = Order.objects.select_related("stock").get(pk=order_id)
        order_replace(
            user=user,
            order_id=order_id,
            qty=rng.randint(1, 12),
            limit_price=order.stock.reference_price + TICK * rng.randint(-6, 6),
        )
        return "replace"
    order_cancel_all(user=user)
    return "cancel_all"


def _trader(
    user_id: int,
    stock_ids: list[int],
    seed: int,
    start: threading.Barrier,
    done: Counter,
    refusals: Counter,
    errors: list[str],
    lock: threading.Lock,
) -> None:
    from marketdata.models import Stock

    rng = random.Random(seed)
    try:
        user = User.objects.get(pk=user_id)
        stocks = list(Stock.objects.filter(pk__in=stock_ids))
        start.wait(timeout=30)
        for _ in range(ACTIONS_PER_THREAD):
            try:
                what = _act(rng, user, stocks)
            except TradingError as exc:
                with lock:
                    refusals[exc.code] += 1
            except Exception as exc:  # a deadlock, a serialization failure, a constraint...
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
            else:
                with lock:
                    done[what] += 1
    finally:
        # Each thread has its own connection; leaving it open would block the test
        # database's teardown.
        connection.close()


def _clock(start: threading.Barrier, errors: list[str], lock: threading.Lock) -> None:
    """The session close, arriving mid-trading: it expires day orders of many users at once."""
    try:
        start.wait(timeout=30)
        expired = 0
        deadline = time.monotonic() + 60
        # Waits for the state it needs, not for a time: each close comes once day orders rest
        # (however slow the machine), and the closes go on until one has expired some.
        # A close can find nothing left to expire (the day order it saw filled or was
        # canceled meanwhile): it tries again, up to 40 times.
        for round_ in range(40):
            while (
                time.monotonic() < deadline
                and not Order.objects.filter(time_in_force="day", status__in=OPEN_STATUSES).exists()
            ):
                time.sleep(0.02)
            time.sleep(0.05 * min(round_, 3))
            try:
                expired += orders_expire_day()
            except Exception as exc:
                with lock:
                    errors.append(f"expiry: {type(exc).__name__}: {exc}")
            if expired and round_ >= 1:
                break
    finally:
        connection.close()


def test_concurrent_traders_conserve_cash_and_shares_and_never_deadlock(settings, make_user):
    settings.TRADING_MAKER_FEE_BPS = Decimal("5")
    settings.TRADING_TAKER_FEE_BPS = Decimal("12")
    stocks = [make_stock("AAA", "50.00"), make_stock("BBB", "100.00"), make_stock("CCC", "20.00")]
    users = [make_user(name) for name in ("ann", "ben", "cat")]
    # One poorer trader, so that buying power runs out and reservations are contended.
    settings.STARTING_CASH = Decimal("800")
    users.append(make_user("dan"))
    for user in users:
        for stock in stocks:
            give_shares(user, stock, 200)
    start_cash = Account.objects.aggregate(s=Sum("cash"))["s"]
    start_shares = {
        s.id: Position.objects.filter(stock=s).aggregate(q=Sum("qty"))["q"] for s in stocks
    }

    start = threading.Barrier(THREADS + 1)
    done: Counter = Counter()
    refusals: Counter = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    threads = [
        threading.Thread(
            target=_trader,
            args=(
                users[i % len(users)].id,  # two threads per user: they race on one account
                [s.id for s in stocks],
                1000 + i,
                start,
                done,
                refusals,
                errors,
                lock,
            ),
        )
        for i in range(THREADS)
    ]
    threads.append(threading.Thread(target=_clock, args=(start, errors, lock)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a trader thread hung"

    # No exception but a legitimate refusal reached a trader: no deadlock, no 500.
    assert errors == []
    assert set(refusals) <= LEGITIMATE, refusals
    assert done["limit"] + done["market"] > THREADS * ACTIONS_PER_THREAD // 2
    assert done["cancel"] and done["replace"]
    assert Order.objects.filter(status="expired").exists()  # the close came mid-trading
    trades = Trade.objects.count()
    assert trades > 50

    # Cash: the total is unchanged; fees only moved to the house, which holds exactly them.
    assert Account.objects.aggregate(s=Sum("cash"))["s"] == start_cash
    house = Account.objects.get(user__is_house=True)
    fees = Trade.objects.aggregate(b=Sum("buyer_fee"), s=Sum("seller_fee"))
    assert house.cash == fees["b"] + fees["s"] > 0
    # Shares: the total per stock is unchanged.
    for stock in stocks:
        assert (
            Position.objects.filter(stock=stock).aggregate(q=Sum("qty"))["q"]
            == (start_shares[stock.id])
        )
    # Nothing negative, no reservation beyond its balance.
    for account in Account.objects.all():
        assert 0 <= account.reserved_cash <= account.cash
    for position in Position.objects.all():
        assert 0 <= position.reserved_qty <= position.qty

    # Every open order holds exactly what its remaining quantity needs, and the accounts and
    # positions hold exactly the sum of their open orders' holds.
    held_cash: dict[int, Decimal] = defaultdict(Decimal)
    held_shares: dict[tuple[int, int], int] = defaultdict(int)
    levels: dict[tuple[int, str, Decimal], list[int]] = defaultdict(lambda: [0, 0])
    for order in Order.objects.filter(status__in=OPEN_STATUSES):
        if order.side == "buy":
            assert order.reserved_cash == reservation(order.limit_price, order.remaining_qty)
            held_cash[order.user_id] += order.reserved_cash
        else:
            assert order.reserved_cash == 0
            held_shares[(order.user_id, order.stock_id)] += order.remaining_qty
        level = levels[(order.stock_id, order.side, order.limit_price)]
        level[0] += order.remaining_qty
        level[1] += 1
    assert not Order.objects.exclude(status__in=OPEN_STATUSES).exclude(reserved_cash=0).exists()
    for account in Account.objects.all():
        assert account.reserved_cash == held_cash.get(account.user_id, 0)
    for position in Position.objects.all():
        assert position.reserved_qty == held_shares.get((position.user_id, position.stock_id), 0)
    # The aggregated book is exactly the open orders, level by level.
    stored = {
        (lvl.stock_id, lvl.side, lvl.price): [lvl.qty, lvl.orders]
        for lvl in BookLevel.objects.all()
    }
    assert stored == dict(levels)

    # And the ledger audit agrees (ledgers, fills, uncrossed books).
    assert audit_ledger().violations == []
