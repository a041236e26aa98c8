"""Build marketdata/data/universe.csv, the stock universe the project ships.

Run once by a developer when the seed lists change (the site never reads ../shared):

    python tools/build_universe.py ../shared/data/seed

Columns: symbol, name, isin, price, demo, exchange. Prices: the real last close from the minute bars
for the five symbols they cover, approximate late-2025 closes for a few well-known names, and
a deterministic plausible price (log-uniform between $5 and $400, from a hash of the symbol)
for the rest. `demo=1` marks the few hundred symbols loaded by default.

`exchange` is the primary listing, in Alpaca's names: NASDAQ for every symbol of the auction
list (NASDAQ's own) and for the featured names NASDAQ lists, NYSE Arca for SPY, and for the
rest the US symbol conventions: five letters ending in Y or F (foreign shares and ADRs) or Q
(in bankruptcy) trade OTC, one to three letters list on the NYSE, four and five on NASDAQ.
Staff correct any in the admin.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

FEATURED = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "TSLA", "META", "AMD", "SPY", "QQQ"]
KNOWN_NAMES = {"SPY": "SPDR S&P 500 ETF Trust", "QQQ": "Invesco QQQ Trust"}
# Approximate closes at the end of December 2025 (public market facts), for names that the
# minute bars do not cover.
KNOWN_PRICES = {
    "AMZN": "231.00",
    "GOOG": "313.00",
    "TSLA": "450.00",
    "META": "660.00",
    "AMD": "214.00",
}
DEMO_SIZE = 300
KNOWN_EXCHANGES = {"SPY": "ARCA"}


def listing_exchange(symbol: str, nasdaq: set[str]) -> str:
    """The primary listing exchange: NASDAQ's list first, then the symbol's conventions."""
    if symbol in KNOWN_EXCHANGES:
        return KNOWN_EXCHANGES[symbol]
    if symbol in nasdaq:
        return "NASDAQ"
    root = symbol.replace("/", ".").split(".")[0]
    if len(root) == 5 and root[-1] in "YFQ":
        return "OTC"
    return "NYSE" if len(root) <= 3 else "NASDAQ"


def plausible_price(symbol: str) -> Decimal:
    digest = int.from_bytes(hashlib.sha256(symbol.encode()).digest()[:8], "big") / 2**64
    price = math.exp(math.log(5) + digest * (math.log(400) - math.log(5)))
    return Decimal(str(price)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def main(seed_dir: str) -> None:
    seed = Path(seed_dir)
    names: dict[str, tuple[str, str]] = {}
    with open(seed / "us-equities.csv", newline="") as f:
        for row in csv.DictReader(f):
            names[row["symbol"].strip()] = (row["name"].strip(), row["isin"].strip())
    with open(seed / "auction-stocks.csv", newline="") as f:
        auction = {row["Symbol"].strip() for row in csv.DictReader(f)}
    bars = json.loads((seed / "minute-bars-5-symbols.json").read_text())["bars"]
    last_close: dict[str, Decimal] = {}
    for bar in sorted(bars, key=lambda b: b["s"]):
        last_close[bar["sym"]] = Decimal(str(bar["c"])).quantize(Decimal("0.01"), ROUND_HALF_UP)

    symbols = sorted(set(names) | auction | set(FEATURED))
    both = sorted(s for s in symbols if s in names and s in auction and s not in FEATURED)
    demo = set(FEATURED) | set(both[: DEMO_SIZE - len(FEATURED)])

    out = Path(__file__).resolve().parent.parent / "marketdata" / "data" / "universe.csv"
    with open(out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["symbol", "name", "isin", "price", "demo", "exchange"])
        for symbol in symbols:
            name, isin = names.get(symbol, (KNOWN_NAMES.get(symbol, symbol), ""))
            price = last_close.get(symbol) or Decimal(KNOWN_PRICES.get(symbol, "0"))
            if not price:
                price = plausible_price(symbol)
            demo_flag = "1" if symbol in demo else "0"
            exchange = listing_exchange(symbol, auction)
            writer.writerow([symbol, name, isin, f"{price}", demo_flag, exchange])
    print(f"wrote {len(symbols)} symbols ({len(demo)} in the demo set) to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/seed")
