"""Watchlists and a user's trading configuration (Alpaca's account configurations)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import User
from core import words
from marketdata.models import Stock
from trading.errors import TradingError
from trading.models import TradingConfiguration, Watchlist

CONFIGURATION_CHOICES = {
    "trade_confirm_email": ("all", "none"),
    "dtbp_check": ("both", "entry", "exit"),
    "pdt_check": ("both", "entry", "exit"),
}


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


def configuration_update(*, user: User, changes: dict[str, object]) -> TradingConfiguration:
    """Change what this exchange can honour; margin, shorting and fractions stay off."""
    config, _ = TradingConfiguration.objects.get_or_create(user=user)
    for name, allowed in CONFIGURATION_CHOICES.items():
        if changes.get(name) is not None:
            value = str(changes[name]).lower()
            if value not in allowed:
                raise TradingError(
                    f"invalid_{name}",
                    f"{words.label(name)} must be one of: {', '.join(allowed)}.",
                )
            setattr(config, name, value)
    if changes.get("suspend_trade") is not None:
        config.suspend_trade = changes["suspend_trade"] in (True, "true", "True")
    for name, only in (
        ("no_shorting", True),
        ("fractional_trading", False),
        ("max_margin_multiplier", "1"),
    ):
        value = changes.get(name)
        if value is not None and str(value).lower() != str(only).lower():
            raise TradingError(
                "unsupported_configuration",
                f"{words.label(name)} can only be {str(only).lower()} on this exchange.",
            )
    config.save()
    return config
