"""Writes on the stock universe and its reference prices, by responsibility:

- `universe`: loading the shipped stock list; halting and resuming a stock;
- `pull`: the price pull's rounds (ask the provider, store what is sane, stream the changes);
- `quotes`: folding one round's quotes into the stocks;
- `bulk_writes`: the one-statement writes of prices and minute bars, and the history's pruning;
- `history`: the demo's backfilled day of minute bars.
"""

from marketdata.services.bulk_writes import price_bars_record, price_history_prune
from marketdata.services.history import history_backfill
from marketdata.services.pull import PullReport, prices_pull, pull_provider
from marketdata.services.universe import (
    UNIVERSE_FILE,
    UniverseLoad,
    stock_set_status,
    universe_load,
)

__all__ = [
    "UNIVERSE_FILE",
    "PullReport",
    "UniverseLoad",
    "history_backfill",
    "price_bars_record",
    "price_history_prune",
    "prices_pull",
    "pull_provider",
    "stock_set_status",
    "universe_load",
]
