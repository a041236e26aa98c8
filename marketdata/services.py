"""Writes on the stock universe."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from marketdata.models import Stock

UNIVERSE_FILE = Path(__file__).resolve().parent / "data" / "universe.csv"


@dataclass(frozen=True)
class UniverseLoad:
    created: int
    updated: int
    total: int


def universe_load(*, everything: bool = False, path: Path = UNIVERSE_FILE) -> UniverseLoad:
    """Load the shipped stock universe: the demo set, or every symbol. Safe to run again.

    Existing stocks keep their status and live prices; only names and ISINs are refreshed,
    and a stock that never had a reference price gets the file's starting price.
    """
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if everything or r["demo"] == "1"]
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
    return stock
