"""ccxt's `alpaca` exchange, unchanged, against this server, through one base URL.

ccxt lists only Alpaca's crypto markets (its `fetchMarkets` asks for `asset_class=crypto`), so
against Alpaca itself it trades no stock either: what it can do with a stock account is the
account, the clock, orders by id, cancels and fills. Those must work; its crypto market data
(`/v1beta3/crypto/...`) and crypto wallets (`/v2/wallets/...`) are refused cleanly (a JSON
404). Orders to read are placed with
`/api/v1` first (setup, not a ccxt call). Runs in its own virtualenv
(tools/compat/requirements-ccxt.txt); `CLIENTS=ccxt tools/alpaca_compat.sh` runs it.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ccxt
from harness import Calls, credentials, reference_price

SYMBOL = "NVDA"


def _place(host: str, key: str, secret: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{host}/api/v1/orders",
        data=json.dumps(body).encode(),
        headers={
            "APCA-API-KEY-ID": key,
            "APCA-API-SECRET-KEY": secret,
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def main(base: str) -> int:
    host, (key, secret), (key2, secret2) = credentials()
    calls = Calls("ccxt", base)
    exchange = ccxt.alpaca({"apiKey": key, "secret": secret})
    exchange.urls["api"] = {"trader": base, "market": base, "broker": base}
    ref = reference_price(host, key, secret, SYMBOL)
    price = f"{ref:.2f}"
    _place(host, key2, secret2, {"symbol": SYMBOL, "qty": "1", "side": "sell", "type": "limit",
                                 "limit_price": price, "time_in_force": "gtc"})  # fmt: skip
    _place(host, key, secret, {"symbol": SYMBOL, "qty": "1", "side": "buy", "type": "market",
                               "time_in_force": "day"})  # fmt: skip
    resting = _place(host, key, secret, {"symbol": SYMBOL, "qty": "1", "side": "buy",
                                         "type": "limit", "limit_price": f"{ref * 0.92:.2f}",
                                         "time_in_force": "gtc"})  # fmt: skip

    calls.call("load_markets", exchange.load_markets, lambda m: isinstance(m, dict))
    calls.call("fetch_time", exchange.fetch_time, lambda t: t > 0)
    calls.call("fetch_balance", exchange.fetch_balance, lambda b: b["USD"]["total"] > 0)
    calls.call("fetch_order", lambda: exchange.fetch_order(resting["id"]),
               lambda o: o["id"] == resting["id"] and o["status"] == "open")  # fmt: skip
    calls.call("fetch_open_orders", exchange.fetch_open_orders, bool)
    calls.call("fetch_closed_orders", exchange.fetch_closed_orders, bool)
    calls.call("fetch_orders", exchange.fetch_orders, bool)
    calls.call("fetch_my_trades", exchange.fetch_my_trades, bool)
    calls.call("cancel_order", lambda: exchange.cancel_order(resting["id"]))
    calls.call("cancel_all_orders", exchange.cancel_all_orders)

    # Crypto market data and crypto wallets are not served here: refused with Alpaca's JSON
    # 404 (ccxt raises), no crash.
    calls.refuse("fetch_deposits", exchange.fetch_deposits, statuses=(40410000,))
    calls.refuse("fetch_withdrawals", exchange.fetch_withdrawals, statuses=(40410000,))
    for name in ("fetch_ticker", "fetch_order_book", "fetch_trades", "fetch_ohlcv"):
        calls.refuse(f"{name}(BTC/USD)", lambda n=name: getattr(exchange, n)("BTC/USD"),
                     statuses=(404, "BadSymbol", "does not have market"))  # fmt: skip
    return calls.summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
