"""Watchlists: named lists of stocks (Alpaca's model); the pages' star is the "Primary" list."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import User
from marketdata.models import Stock
from trading.errors import TradingError
from trading.models import Watchlist

WATCHLIST_NAME = "Primary"  # the list a stock page's star adds to


def _stocks(symbols: object) -> list[Stock]:
    if symbols is None:
        return []
    if not isinstance(symbols, list):
        raise TradingError("invalid_symbols", "The symbols must be a list.")
    wanted = [str(s).strip().upper() for s in symbols]
    found = {s.symbol: s for s in Stock.objects.filter(symbol__in=wanted)}
    missing = [s for s in wanted if s not in found]
    if missing:
        raise TradingError("asset_not_found", f"There is no stock {missing[0]!r}.")
    return [found[s] for s in wanted]


def _name(name: object) -> str:
    text = str(name or "").strip()
    if not text or len(text) > 64:
        raise TradingError("invalid_name", "A watchlist's name must be 1 to 64 characters.")
    return text


def watchlist_create(*, user: User, name: object, symbols: object = None) -> Watchlist:
    try:
        with transaction.atomic():
            watchlist = Watchlist.objects.create(user=user, name=_name(name))
            watchlist.stocks.set(_stocks(symbols))
    except IntegrityError:
        raise TradingError(
            "duplicate_watchlist", "You already have a watchlist with this name."
        ) from None
    return watchlist


def watchlist_update(
    *, watchlist: Watchlist, name: object = None, symbols: object = None
) -> Watchlist:
    """Rename and/or replace the symbols of one of the user's watchlists."""
    try:
        with transaction.atomic():
            if name is not None:
                watchlist.name = _name(name)
            watchlist.save()
            if symbols is not None:
                watchlist.stocks.set(_stocks(symbols))
    except IntegrityError:
        raise TradingError(
            "duplicate_watchlist", "You already have a watchlist with this name."
        ) from None
    return watchlist


def watchlist_add(*, watchlist: Watchlist, symbol: object) -> Watchlist:
    watchlist.stocks.add(*_stocks([symbol]))
    watchlist.save(update_fields=["updated_at"])
    return watchlist


def watchlist_remove(*, watchlist: Watchlist, symbol: object) -> Watchlist:
    watchlist.stocks.remove(*_stocks([symbol]))
    watchlist.save(update_fields=["updated_at"])
    return watchlist


def watchlist_delete(*, watchlist: Watchlist) -> None:
    watchlist.delete()


def watchlist_toggle(*, user: User, stock: Stock) -> bool:
    """Star or unstar a stock in the user's primary watchlist; whether it is watched now."""
    with transaction.atomic():
        watchlist, _ = Watchlist.objects.get_or_create(user=user, name=WATCHLIST_NAME)
        watching = watchlist.stocks.filter(pk=stock.pk).exists()
        if watching:
            watchlist.stocks.remove(stock)
        else:
            watchlist.stocks.add(stock)
    return not watching
