"""The stock universe: loading the shipped list, halting and resuming a stock."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from marketdata.models import Stock, symbol_dot_form
from marketdata.streams import publish_quotes, quote_payload

UNIVERSE_FILE = Path(__file__).resolve().parent.parent / "data" / "universe.csv"


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
