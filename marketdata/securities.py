"""Security codes: the 5-digit code of the founding auction list's stocks, by symbol.

Reference data shipped with the universe (`data/security_codes.csv`: symbol and security
code, kept as text for their leading zeros); pages show it beside a stock's name.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

CODES_FILE = Path(__file__).resolve().parent / "data" / "security_codes.csv"


@cache
def security_codes() -> dict[str, str]:
    """Each listed stock's security code, by symbol."""
    with CODES_FILE.open(newline="") as f:
        return {row["symbol"]: row["security"] for row in csv.DictReader(f)}
