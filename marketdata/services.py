"""Writes on the stock universe and its reference prices."""

from __future__ import annotations

import bisect
import contextlib
import csv
import logging
import math
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Field, Min, Subquery
from django.db.models.options import Options
from django.utils import timezone

from core.streams import quotes_group, streamable
from marketdata.config import configured_api_key
from marketdata.models import PriceBar, Stock, symbol_dot_form
from marketdata.providers import (
    Provider,
    ProviderError,
    Quote,
    SimulatedProvider,
    get_provider,
    is_sane,
)
from marketdata.providers.base import WHOLE_MARKET
from marketdata.redis_state import (
    PRUNE_KEY,
    PULL_LOCK_KEY,
    load_json,
    redis_client,
    save_json,
    state_key,
)
from marketdata.selectors import (
    TRADED_RECENTLY,
    PricedStock,
    forming_bars,
    priced_stocks,
    symbols_traded,
    symbols_watched,
)
from marketdata.streams import (
    CandlePayload,
    QuotePayload,
    candle_payload,
    publish_candle,
    publish_quotes,
    quote_payload,
)

UNIVERSE_FILE = Path(__file__).resolve().parent / "data" / "universe.csv"


@dataclass(frozen=True)
class UniverseLoad:
    created: int
    updated: int
    total: int


def universe_load(*, everything: bool = False, path: Path = UNIVERSE_FILE) -> UniverseLoad:
    """Load the shipped stock universe: the demo set, or every symbol. Safe to run again.

    Existing stocks keep their status, live prices and listing exchange (staff may have set
    it); only names and ISINs are refreshed, and a stock that never had a reference price gets
    the file's starting price.
    """
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if everything or r["demo"] == "1"]
    for row in rows:  # the file writes class shares as CRD/B; we (and Alpaca) write CRD.B
        row["symbol"] = symbol_dot_form(row["symbol"])
    now = timezone.now()
    with transaction.atomic():
        existing = {
            s.symbol: s for s in Stock.objects.filter(symbol__in=[r["symbol"] for r in rows])
        }
        new, changed = [], []
        for row in rows:
            price = Decimal(row["price"])
            stock = existing.get(row["symbol"])
            if stock is None:
                new.append(
                    Stock(
                        symbol=row["symbol"],
                        name=row["name"],
                        isin=row["isin"],
                        exchange=row.get("exchange") or Stock.Exchange.OTC,
                        reference_price=price,
                        previous_close=price,
                        price_source="universe",
                        price_updated_at=now,
                    )
                )
                continue
            dirty = stock.name != row["name"] or stock.isin != row["isin"]
            stock.name, stock.isin = row["name"], row["isin"]
            if stock.reference_price is None:
                stock.reference_price = stock.previous_close = price
                stock.price_source, stock.price_updated_at = "universe", now
                dirty = True
            if dirty:
                changed.append(stock)
        Stock.objects.bulk_create(new, batch_size=1000)
        Stock.objects.bulk_update(
            changed,
            [
                "name",
                "isin",
                "reference_price",
                "previous_close",
                "price_source",
                "price_updated_at",
            ],
            batch_size=1000,
        )
    return UniverseLoad(created=len(new), updated=len(changed), total=len(rows))


def stock_set_status(*, stock_id: int, status: str) -> Stock:
    """Halt or resume trading in a stock."""
    with transaction.atomic():
        stock = Stock.objects.select_for_update().get(pk=stock_id)
        stock.status = status
        stock.save(update_fields=["status", "updated_at"])
        # Pushed on the quotes stream so an open stock page shows the halt (or the resume).
        payload = quote_payload(stock)
        transaction.on_commit(lambda: publish_quotes([payload]))
    return stock


# --------------------------------------------------------------------------- the price pull
PRICE_UNIT = Decimal("0.0001")  # the database keeps prices to 4 decimals
# A lock that outlives a killed worker only until the task's own hard time limit.
PULL_LOCK_SECONDS = 60
PRUNE_EVERY_SECONDS = 60
PRUNE_CHUNK = 100_000
CANDLE_UPDATES = 50
PRICE_FIELDS = [
    "reference_price",
    "previous_close",
    "price_source",
    "price_updated_at",
    "price_stale",
    "day",
    "day_high",
    "day_low",
]

log = logging.getLogger("marketdata.pull")

# (stock id, time, price, source): one reference price for the history.
PricePoint = tuple[int, datetime, Decimal, str]


@dataclass
class PullReport:
    """What one round of the price pull did."""

    skipped: bool = False  # another round held the lock
    asked: int = 0
    updated: int = 0
    refused: int = 0  # quotes that failed the sanity check
    newly_stale: int = 0
    bars: int = 0  # minute bars of history written
    pruned: int = 0
    published: int = 0
    error: str = ""

    @property
    def rows_written(self) -> int:
        """Database rows inserted, updated or deleted."""
        return self.updated + self.newly_stale + self.bars + self.pruned


_providers: dict[tuple[str, str, str | None], Provider] = {}


def pull_provider() -> Provider:
    """This process's provider for the configured source (one per process: it keeps state)."""
    secret = configured_api_key().reveal()
    cache_key = (settings.MARKETDATA_PROVIDER, secret, settings.MARKETDATA_BASE_URL)
    provider = _providers.get(cache_key)
    if provider is None:
        # Each process walks with its own random draws; a shared seed would make two worker
        # processes that take turns repeat every move twice.
        provider = get_provider(
            settings.MARKETDATA_PROVIDER,
            secret or None,
            base_url=settings.MARKETDATA_BASE_URL,
            seed=f"{os.getpid()}/{time.time_ns()}",
        )
        _providers.clear()
        _providers[cache_key] = provider
    return provider


def round_size(provider: Provider, period_seconds: float) -> int:
    """How many symbols one round asks for: the provider's budget spread over its rounds.

    Asking for everything each round would spend a minute's budget in the first round and
    then leave the prices alone for the rest of the minute; this spreads the calls evenly.
    """
    if not provider.requests_per_minute or provider.max_batch >= WHOLE_MARKET:
        return WHOLE_MARKET
    calls = max(1, math.ceil(provider.requests_per_minute * period_seconds / 60))
    return calls * provider.max_batch


def _rotated(symbols: list[str], after: str) -> list[str]:
    """Sorted symbols starting after `after`, wrapping around: a fair walk across rounds."""
    ordered = sorted(symbols)
    split = bisect.bisect_right(ordered, after) if after else 0
    return ordered[split:] + ordered[:split]


def pull_order(*, symbols: list[str], tiers: list[set[str]], cursors: list[str]) -> list[list[str]]:
    """The universe split into tiers (watched, then traded, then the rest), each rotated.

    Each tier starts after its cursor, so a budget smaller than a tier still reaches every
    symbol in it over a few rounds instead of asking for the same first few forever.
    """
    placed: set[str] = set()
    ordered: list[list[str]] = []
    known = set(symbols)
    for index, tier in enumerate([*tiers, known]):
        members = [s for s in tier if s in known and s not in placed]
        placed.update(members)
        cursor = cursors[index] if index < len(cursors) else ""
        ordered.append(_rotated(members, cursor))
    return ordered


def _market_today(now: datetime) -> date:
    return timezone.localtime(now, timezone.get_default_timezone()).date()


def prices_pull(*, provider: Provider | None = None, now: datetime | None = None) -> PullReport:
    """One round of reference prices: ask the provider, store what is sane, stream changes.

    Holds a Redis lock for the round, so overlapping beats never pull twice at once, and keeps
    the provider's budget, back-off and walk cursors in Redis between rounds, since each round
    may run in a different worker process. A provider failure keeps the last good prices and
    marks them stale; it is logged when it starts and when it ends, not every round. Changes
    are published on the quotes stream of every symbol that has a live subscriber.
    """
    lock = redis_client().lock(PULL_LOCK_KEY, timeout=PULL_LOCK_SECONDS, blocking=False)
    if not lock.acquire(blocking=False):
        return PullReport(skipped=True)
    try:
        return _pull_round(provider or pull_provider(), now or timezone.now())
    finally:
        with contextlib.suppress(redis.exceptions.LockError):
            lock.release()


def _pull_round(provider: Provider, now: datetime) -> PullReport:
    report = PullReport()
    key = state_key(provider.name)
    state = load_json(key)
    provider.restore_state(state.get("provider") or {})
    today = _market_today(now)

    # A plain read: no row is locked while the provider is asked over the network. It holds
    # every field a quote message reads (a deferred one once cost a query a stock).
    stocks = priced_stocks()
    by_symbol = {s.symbol: s for s in stocks}
    if isinstance(provider, SimulatedProvider):
        # The simulator's "previous close" rolls at midnight to the last price of the day
        # before; every process continues the walk from the stored prices.
        provider.resume(
            {s.symbol: s.reference_price for s in stocks if s.reference_price},
            {
                s.symbol: (s.reference_price if s.day and s.day != today else s.previous_close)
                for s in stocks
            },
        )

    watched = symbols_watched()
    # Channel layers refuse group names outside [A-Za-z0-9._-]: a symbol that has no quotes
    # group is never sent (trying would log an error every round).
    streamed = {s for s in watched if _streamable(s)}
    traded = symbols_traded(since=now - TRADED_RECENTLY)
    tiers = pull_order(
        symbols=list(by_symbol), tiers=[watched, traded], cursors=state.get("cursors") or []
    )
    size = round_size(provider, settings.PRICE_PULL_SECONDS)
    wanted = [s for tier in tiers for s in tier][:size]

    failure: ProviderError | None = None
    provider.last_dropped = {}  # a round refused before it starts drops nothing
    try:
        quotes = provider.fetch(wanted)
    except ProviderError as exc:
        quotes, failure = list(exc.quotes), exc
    asked = {q.symbol for q in quotes} | set(provider.last_dropped)
    report.asked = len(asked)
    old_cursors = state.get("cursors") or []
    state["cursors"] = [
        next((s for s in reversed(tier) if s in asked), None)
        or (old_cursors[index] if index < len(old_cursors) else "")
        for index, tier in enumerate(tiers)
    ]
    # Saved before any write: whatever happens next, the calls made are on the shared budget.
    state["provider"] = provider.export_state()
    save_json(key, state)

    changed, prices, payloads, fresh, refused = _apply_quotes(
        provider.name, quotes, by_symbol, streamed=streamed, today=today, now=now
    )
    report.refused = len(refused)
    if refused - set(state.get("refused") or ()):
        log.warning(
            "%s: refused %d price(s) as not sane: %s",
            provider.name,
            len(refused),
            ", ".join(sorted(refused)[:10]),
        )
    state["refused"] = sorted(refused)
    stale_after = now - timedelta(seconds=settings.MARKETDATA_STALE_SECONDS)
    newly_stale = [
        s
        for s in stocks
        if not s.price_stale
        and s.id not in fresh
        and (failure is not None or not s.price_updated_at or s.price_updated_at < stale_after)
    ]
    payloads.extend(quote_payload(s, stale=True) for s in newly_stale if s.symbol in streamed)

    # One transaction, a statement per table however many symbols: the stock rows, their
    # minutes' history, the newly stale. Its UPDATE takes no lock that order placement waits
    # for (orders lock their book's row, and their inserts only share-lock the stock's key).
    # A commit that a crash could lose costs nothing here: the next round, seconds later,
    # writes every price again, so the round does not wait for its WAL to reach the disk.
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        _bulk_set(changed, PRICE_FIELDS)
        report.bars = price_bars_record(prices=prices)
        if newly_stale:
            report.newly_stale = Stock.objects.filter(
                id__in=[s.id for s in newly_stale], price_stale=False
            ).update(price_stale=True)
        report.updated = len(changed)
        report.published = _stream(payloads, by_symbol=by_symbol, state=state, now=now)
    report.pruned = _prune_history(now)

    _note_health(provider.name, state, failure, report)
    save_json(key, state)
    return report


def _apply_quotes(
    source: str,
    quotes: list[Quote],
    by_symbol: dict[str, PricedStock],
    *,
    streamed: set[str],
    today: date,
    now: datetime,
) -> tuple[list[PricedStock], list[PricePoint], list[QuotePayload], set[int], set[str]]:
    """Fold sane quotes into the stocks: what to write, record, publish; what was fresh, refused.

    Quote messages are built only for the `streamed` symbols (someone subscribes to them).
    """
    max_jump = settings.MARKETDATA_MAX_JUMP
    changed: list[PricedStock] = []
    prices: list[PricePoint] = []
    payloads: list[QuotePayload] = []
    fresh: set[int] = set()
    refused: set[str] = set()
    market_days: dict[datetime, date] = {}  # a round's quotes share a few times at most
    for quote in quotes:
        stock = by_symbol.get(quote.symbol)
        if stock is None:
            continue
        price = quote.price.quantize(PRICE_UNIT, ROUND_HALF_EVEN)
        last = stock.reference_price
        # The jump bound compares a source with itself: the universe file's or a staff
        # member's price is a placeholder that the first real quote may move far from.
        baseline = last if stock.price_source == source else None
        if not is_sane(price, baseline, max_jump):
            refused.add(quote.symbol)
            continue
        # A provider's clock ahead of ours must not date a price in the future.
        when = min(quote.time, now)
        fresh.add(stock.id)
        previous_close = stock.previous_close
        if quote.previous_close is not None:
            previous_close = quote.previous_close.quantize(PRICE_UNIT, ROUND_HALF_EVEN)
        new_minute = stock.price_updated_at is None or _minute(when) > _minute(
            stock.price_updated_at
        )
        # The day's range covers prices of today only (Polygon's, say, are yesterday's close).
        day, day_high, day_low = stock.day, stock.day_high, stock.day_low
        market_day = market_days.get(when)
        if market_day is None:
            market_day = market_days[when] = _market_today(when)
        if market_day == today:
            if day != today:
                day, day_high, day_low = today, price, price
            else:
                day_high = max(day_high or price, price)
                day_low = min(day_low or price, price)
        moved = price != last or previous_close != stock.previous_close
        before = (
            stock.reference_price,
            stock.previous_close,
            stock.price_source,
            stock.price_updated_at,
            stock.price_stale,
            stock.day,
            stock.day_high,
            stock.day_low,
        )
        after = (price, previous_close, source, when, False, day, day_high, day_low)
        if before == after:
            continue
        (
            stock.reference_price,
            stock.previous_close,
            stock.price_source,
            stock.price_updated_at,
            stock.price_stale,
            stock.day,
            stock.day_high,
            stock.day_low,
        ) = after
        changed.append(stock)
        # History takes every change, and a price a minute while a price holds still, so
        # one-minute candles have no holes while the feed is alive.
        if price != last or new_minute:
            prices.append((stock.id, when, price, source))
        if (moved or before[4]) and quote.symbol in streamed:
            payloads.append(quote_payload(stock))
    return changed, prices, payloads, fresh, refused


def _concrete_field(meta: Options[Any], name: str) -> Field[Any, Any]:
    """A field with a column of its own (`get_field` also answers relations and such)."""
    field = meta.get_field(name)
    assert isinstance(field, Field), name
    return field


def _column(field: Field[Any, Any]) -> str:
    assert field.column is not None, field.name
    return field.column


def _bulk_set(stocks: list[PricedStock], fields: list[str]) -> None:
    """UPDATE many stocks' `fields` in one statement joined to the new values.

    Django's bulk_update builds a CASE WHEN per row and field, which costs milliseconds of
    Python per row: 3,000 stocks would take seconds. PostgreSQL gets one parameter per column
    (UPDATE ... FROM UNNEST(...), see `_pg_columns`) whatever the number of rows; SQLite
    (3.33+) gets UPDATE ... FROM (VALUES ...), whose columns it names column1, column2, ...,
    in chunks that keep under its limit on parameters (250,000 in Python's own build).
    """
    if not stocks:
        return
    meta = Stock._meta
    columns = [meta.pk, *(_concrete_field(meta, name) for name in fields)]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = [f"column{i}" for i in range(1, len(columns) + 1)]
    assignments = ", ".join(
        f"{quote(_column(field))} = v.{name}"
        for field, name in zip(columns[1:], names[1:], strict=True)
    )
    where = f" WHERE {table}.{quote(_column(meta.pk))} = v.column1"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays, params = _pg_columns(
                columns, [[getattr(s, f.attname) for s in stocks] for f in columns]
            )
            source = f"UNNEST({arrays}) AS v({', '.join(names)})"
            cursor.execute(f"UPDATE {table} SET {assignments} FROM {source}{where}", params)
            return
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        size = _sqlite_rows_per_statement(len(columns))
        for chunk in range(0, len(stocks), size):
            part = stocks[chunk : chunk + size]
            source = f"(VALUES {', '.join([row] * len(part))}) AS v"
            params = [
                field.get_db_prep_save(getattr(stock, field.attname), connection)
                for stock in part
                for field in columns
            ]
            cursor.execute(f"UPDATE {table} SET {assignments} FROM {source}{where}", params)


def _sqlite_rows_per_statement(columns: int) -> int:
    """How many rows of `columns` parameters one SQLite statement may carry."""
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, limit // columns)


_PG_NULL = "N"  # no number, date, time or t/f is written so


def _pg_columns(fields: list[Field[Any, Any]], columns: list[list[Any]]) -> tuple[str, list[Any]]:
    """Arrays for UNNEST, one parameter per column, and the parameters.

    Adapting a list of 7,000 Decimals or datetimes element by element (Django's
    get_db_prep_save, then psycopg's array dumper) took most of a refresh's time; a column of
    numbers, times, dates or booleans goes instead as one comma-joined text that the server
    splits (`string_to_array`) and casts. Text columns, which could hold a comma, stay lists.
    """
    arrays: list[str] = []
    params: list[Any] = []
    null = _PG_NULL
    for field, values in zip(fields, columns, strict=True):
        db_type = field.db_type(connection)
        kind = field.get_internal_type()
        if kind in ("CharField", "TextField"):
            arrays.append(f"%s::{db_type}[]")
            params.append(values)
            continue
        if kind == "BooleanField":
            texts = [null if v is None else "t" if v else "f" for v in values]
        elif kind in ("DateTimeField", "DateField"):  # ISO 8601, with the offset if any
            texts = [null if v is None else v.isoformat() for v in values]
        else:  # integers and Decimals
            texts = [null if v is None else str(v) for v in values]
        arrays.append(f"string_to_array(%s, ',', '{null}')::{db_type}[]")
        params.append(",".join(texts))
    return ", ".join(arrays), params


def price_bars_record(*, prices: list[PricePoint]) -> int:
    """Fold reference prices, given in time order, into their minutes' bars; returns bars written.

    One INSERT ... ON CONFLICT DO UPDATE (per chunk on SQLite): a new minute opens a bar, a
    later price in a minute already stored raises its high, lowers its low and becomes its close.
    """
    folded: dict[tuple[int, datetime], list] = {}
    for stock_id, when, price, source in prices:
        start = when.replace(second=0, microsecond=0)
        bar = folded.get((stock_id, start))
        if bar is None:
            folded[(stock_id, start)] = [stock_id, start, price, price, price, price, source]
        else:
            bar[3], bar[4], bar[5], bar[6] = max(bar[3], price), min(bar[4], price), price, source
    rows = list(folded.values())
    if connection.vendor == "postgresql":
        if rows:
            _upsert_bars(rows)
    else:
        size = _sqlite_rows_per_statement(7)
        for chunk in range(0, len(rows), size):
            _upsert_bars(rows[chunk : chunk + size])
    return len(rows)


def _upsert_bars(rows: list[list]) -> None:
    meta = PriceBar._meta
    fields = [
        _concrete_field(meta, n)
        for n in ("stock", "start", "open", "high", "low", "close", "source")
    ]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    high, low, close, source = (quote(_column(f)) for f in fields[3:])
    columns = ", ".join(quote(_column(f)) for f in fields)
    if connection.vendor == "postgresql":
        arrays, params = _pg_columns(fields, [[row[i] for row in rows] for i in range(len(fields))])
        source_rows = f"SELECT * FROM UNNEST({arrays})"
        greatest, least = "GREATEST", "LEAST"
    else:
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        source_rows = f"VALUES {', '.join([row] * len(rows))}"
        params = [f.get_db_prep_save(r[i], connection) for r in rows for i, f in enumerate(fields)]
        greatest, least = "MAX", "MIN"  # SQLite's two-argument MAX and MIN are scalar
    sql = (
        f"INSERT INTO {table} ({columns}) {source_rows}"
        f" ON CONFLICT ({quote(_column(fields[0]))}, {quote(_column(fields[1]))}) DO UPDATE SET"
        f" {high} = {greatest}({table}.{high}, EXCLUDED.{high}),"
        f" {low} = {least}({table}.{low}, EXCLUDED.{low}),"
        f" {close} = EXCLUDED.{close}, {source} = EXCLUDED.{source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _minute(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def _stream(
    payloads: list[QuotePayload],
    *,
    by_symbol: dict[str, PricedStock],
    state: dict,
    now: datetime,
) -> int:
    """Send the round's quote changes, and their minutes' bars, once the writes commit.

    `payloads` hold only symbols someone watches: a send to a group nobody listens to still
    costs a Redis round trip, which for a 3,000-symbol universe was a third of the round.
    """
    if not payloads:
        return 0
    # The minute's bar moved with the price: send it to the candles stream too. Each bar is
    # its own trip through the channel layer (about 2 ms), so a round sends at most
    # CANDLE_UPDATES of them, taking turns when more symbols are watched than that.
    moved = _rotated([p["symbol"] for p in payloads if not p["stale"]], state.get("bar", ""))
    moved_stocks = [by_symbol[symbol] for symbol in moved[:CANDLE_UPDATES]]
    if moved_stocks:
        state["bar"] = moved_stocks[-1].symbol
    forming = forming_bars(stocks=moved_stocks, now=now)
    bars = [candle_payload(s.symbol, forming[s.id]) for s in moved_stocks if s.id in forming]
    transaction.on_commit(lambda: _publish(payloads, bars))
    return len(payloads)


def _publish(quotes: list[QuotePayload], bars: list[CandlePayload]) -> None:
    publish_quotes(quotes)
    for bar in bars:
        publish_candle(bar)


def _streamable(symbol: str) -> bool:
    return streamable(quotes_group(symbol))


def _prune_history(now: datetime) -> int:
    """Delete history past retention, at most once a minute and a bounded chunk at a time."""
    if not redis_client().set(PRUNE_KEY, "1", nx=True, ex=PRUNE_EVERY_SECONDS):
        return 0
    return price_history_prune(before=now - timedelta(days=settings.MARKETDATA_HISTORY_DAYS))


def price_history_prune(*, before: datetime, limit: int = PRUNE_CHUNK) -> int:
    """Delete up to `limit` of the oldest minute bars of history that start before `before`."""
    oldest = PriceBar.objects.filter(start__lt=before).order_by("start").values("pk")[:limit]
    deleted, _ = PriceBar.objects.filter(pk__in=Subquery(oldest)).delete()
    return deleted


def _note_health(source: str, state: dict, failure: ProviderError | None, report: PullReport):
    """Log a failure when it starts and a recovery when it ends; remember which it is."""
    if failure is not None:
        report.error = str(failure)
        if not state.get("failing"):
            log.warning(
                "%s: price pull failing (%s); last prices kept and marked stale",
                source,
                failure,
            )
        state["failing"] = True
    elif state.get("failing"):
        log.info("%s: price pull recovered", source)
        state["failing"] = False


# --------------------------------------------------------------------------- the demo's history
BACKFILL_SOURCE = "backfill"
BACKFILL_VOLATILITY = 0.0008  # per minute: about 3% over a day


def history_backfill(
    *, stocks: list[Stock], minutes: int = 24 * 60, now: datetime | None = None, seed: str = "demo"
) -> int:
    """Give each stock with little history a day of one-minute reference bars ending at its
    price now (a seeded random walk, walked backwards from the price), so a new site's charts
    and sparklines are full from the first minute. Stocks with history already are left alone,
    and no bar is written where one exists: safe to run again. Returns the bars written."""
    import random

    end = (now or timezone.now()).replace(second=0, microsecond=0)
    history = {
        stock_id: (first, bars)
        for stock_id, first, bars in PriceBar.objects.filter(stock__in=stocks)
        .values("stock_id")
        .annotate(first=Min("start"), bars=Count("id"))
        .values_list("stock_id", "first", "bars")
    }
    rows: list[PriceBar] = []
    written = 0
    for stock in stocks:
        first, bars = history.get(stock.id, (None, 0))
        if stock.reference_price is None or bars >= 60:
            continue
        # Walk back from the oldest bar there is (or from now), one minute at a time.
        until = first if first is not None else end
        rng = random.Random(f"{seed}/{stock.symbol}")
        tick = stock.tick_size
        close = float(stock.reference_price)
        for step in range(1, minutes + 1):
            start = until - timedelta(minutes=step)
            open_ = close * math.exp(rng.gauss(0, BACKFILL_VOLATILITY))
            wick = abs(rng.gauss(0, BACKFILL_VOLATILITY / 2))
            prices = [_on_tick(p, tick) for p in (open_, close)]
            high = max(*prices, _on_tick(max(open_, close) * (1 + wick), tick))
            low = max(tick, min(*prices, _on_tick(min(open_, close) * (1 - wick), tick)))
            rows.append(
                PriceBar(
                    stock=stock,
                    start=start,
                    open=max(tick, prices[0]),
                    high=high,
                    low=low,
                    close=max(tick, prices[1]),
                    source=BACKFILL_SOURCE,
                )
            )
            close = open_  # the bar before this one closed where this one opened
        if len(rows) >= 20_000:
            PriceBar.objects.bulk_create(rows, batch_size=2_000, ignore_conflicts=True)
            written += len(rows)
            rows = []
    PriceBar.objects.bulk_create(rows, batch_size=2_000, ignore_conflicts=True)
    return written + len(rows)


def _on_tick(value: float, tick: Decimal) -> Decimal:
    return round(value / float(tick)) * tick
