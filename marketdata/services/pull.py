"""The price pull: each round asks the provider, stores what is sane, streams the changes."""

from __future__ import annotations

import bisect
import contextlib
import logging
import math
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.streams import quotes_group, streamable
from marketdata.config import configured_api_key
from marketdata.models import Stock
from marketdata.providers import Provider, ProviderError, Quote, SimulatedProvider, get_provider
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
from marketdata.services.bulk_writes import price_bars_record, price_history_prune, stocks_bulk_set
from marketdata.services.quotes import PRICE_FIELDS, Folded, market_day, quotes_apply
from marketdata.streams import (
    CandlePayload,
    QuotePayload,
    candle_payload,
    publish_candle,
    publish_quotes,
    quote_payload,
)

# A lock that outlives a killed worker only until the task's own hard time limit.
PULL_LOCK_SECONDS = 60
PRUNE_EVERY_SECONDS = 60
CANDLE_UPDATES = 50

log = logging.getLogger("marketdata.pull")


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


def rotated(symbols: list[str], after: str) -> list[str]:
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
        ordered.append(rotated(members, cursor))
    return ordered


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


@dataclass
class RoundPlan:
    """What a round works on, read before the provider is asked."""

    stocks: list[PricedStock]
    by_symbol: dict[str, PricedStock]
    streamed: set[str]  # watched symbols that have a quotes group
    tiers: list[list[str]]
    wanted: list[str]


def _pull_round(provider: Provider, now: datetime) -> PullReport:
    report = PullReport()
    key = state_key(provider.name)
    state = load_json(key)
    provider.restore_state(state.get("provider") or {})
    today = market_day(now)
    plan = _plan(provider, state, now)

    quotes, failure = _ask(provider, plan, state, report)
    # Saved before any write: whatever happens next, the calls made are on the shared budget.
    state["provider"] = provider.export_state()
    save_json(key, state)

    folded = quotes_apply(
        provider.name, quotes, plan.by_symbol, streamed=plan.streamed, today=today, now=now
    )
    report.refused = len(folded.refused)
    if folded.refused - set(state.get("refused") or ()):
        log.warning(
            "%s: refused %d price(s) as not sane: %s",
            provider.name,
            len(folded.refused),
            ", ".join(sorted(folded.refused)[:10]),
        )
    state["refused"] = sorted(folded.refused)
    _write_round(plan, folded, failure, state, report, now)
    report.pruned = _prune_history(now)

    _note_health(provider.name, state, failure, report)
    save_json(key, state)
    return report


def _plan(provider: Provider, state: dict, now: datetime) -> RoundPlan:
    today = market_day(now)
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
    return RoundPlan(stocks, by_symbol, streamed, tiers, wanted)


def _ask(
    provider: Provider, plan: RoundPlan, state: dict, report: PullReport
) -> tuple[list[Quote], ProviderError | None]:
    """The provider's quotes for the plan, and its failure if any; moves the walk's cursors."""
    failure: ProviderError | None = None
    provider.last_dropped = {}  # a round refused before it starts drops nothing
    try:
        quotes = provider.fetch(plan.wanted)
    except ProviderError as exc:
        quotes, failure = list(exc.quotes), exc
    asked = {q.symbol for q in quotes} | set(provider.last_dropped)
    report.asked = len(asked)
    old_cursors = state.get("cursors") or []
    state["cursors"] = [
        next((s for s in reversed(tier) if s in asked), None)
        or (old_cursors[index] if index < len(old_cursors) else "")
        for index, tier in enumerate(plan.tiers)
    ]
    return quotes, failure


def _write_round(
    plan: RoundPlan,
    folded: Folded,
    failure: ProviderError | None,
    state: dict,
    report: PullReport,
    now: datetime,
) -> None:
    stale_after = now - timedelta(seconds=settings.MARKETDATA_STALE_SECONDS)
    newly_stale = [
        s
        for s in plan.stocks
        if not s.price_stale
        and s.id not in folded.fresh
        and (failure is not None or not s.price_updated_at or s.price_updated_at < stale_after)
    ]
    payloads = folded.payloads
    payloads.extend(quote_payload(s, stale=True) for s in newly_stale if s.symbol in plan.streamed)

    # One transaction, a statement per table however many symbols: the stock rows, their
    # minutes' history, the newly stale. Its UPDATE takes no lock that order placement waits
    # for (orders lock their book's row, and their inserts only share-lock the stock's key).
    # A commit that a crash could lose costs nothing here: the next round, seconds later,
    # writes every price again, so the round does not wait for its WAL to reach the disk.
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        stocks_bulk_set(folded.changed, PRICE_FIELDS)
        report.bars = price_bars_record(prices=folded.prices)
        if newly_stale:
            report.newly_stale = Stock.objects.filter(
                id__in=[s.id for s in newly_stale], price_stale=False
            ).update(price_stale=True)
        report.updated = len(folded.changed)
        report.published = _stream(payloads, by_symbol=plan.by_symbol, state=state, now=now)


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
    moved = rotated([p["symbol"] for p in payloads if not p["stale"]], state.get("bar", ""))
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
