"""Lumibot, unchanged, as a live strategy against this server, through one base URL.

    COMPAT_HOST=http://127.0.0.1:8200 COMPAT_KEY=… COMPAT_SECRET=… COMPAT_KEY2=… \
        COMPAT_SECRET2=… python tools/compat/lumibot_calls.py http://127.0.0.1:8200/api/

Lumibot's `Alpaca` broker has no base URL setting of its own, but its config takes ready
alpaca-py clients: `TRADING_CLIENT` (the broker's) and `STOCK_CLIENT` (its data source's),
each given the keys and the base URL as `url_override`. With a trading client given, the
broker follows its orders by polling them (its `PollingStream`) instead of opening Alpaca's
trade-update websocket, so nothing reaches Alpaca's own hosts.

The strategy is an ordinary `Strategy` run by a `Trader`: it reads the account, gets a last
price, buys at market (against a seller's order placed first through `/api/v1`, setup and not
a Lumibot call), rests two limit buys, sees one filled (the seller sells into it) through the
broker's polling, lists positions and orders, cancels the other, sees the cancel the same
way, and stops.

A market order that fills on submission is never reported to `on_filled_order` in polling
mode: Lumibot takes the order's status from the submit answer ("filled" here, where matching
is synchronous; "accepted" at Alpaca) and calls back only on a change it polls.
Runs in its own virtualenv (tools/compat/requirements-lumibot.txt); `CLIENTS=lumibot
tools/alpaca_compat.sh` runs it. Prints each call and a count; exits 1 if any call failed.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Live Lumibot otherwise reports to its cloud service when it finds an API key for it.
os.environ.pop("LUMIWEALTH_API_KEY", None)

from alpaca.data.historical import StockHistoricalDataClient
from alpaca.trading.client import TradingClient
from harness import Calls, credentials, reference_price
from lumibot.brokers import Alpaca
from lumibot.strategies import Strategy
from lumibot.traders import Trader

SYMBOL = "AMZN"
# Every step waits at most this long for the broker to report what it expects.
STEP_SECONDS = 60.0
# How long the trader gets to stop once the strategy is done.
STOP_SECONDS = 15.0


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


def _timed_out(message: str) -> None:
    raise TimeoutError(message)


class CompatStrategy(Strategy):
    """One step per trading iteration; a step that waits for an order event keeps its place
    until the event arrives (or STEP_SECONDS pass, a failure)."""

    def initialize(self) -> None:
        self.sleeptime = "1S"
        # Lumibot's own calendar would idle outside New York's hours; this server's clock
        # decides instead, through the orders it fills.
        self.set_market("24/7")
        self.calls: Calls = self.parameters["calls"]
        self.done: threading.Event = self.parameters["done"]
        self.reference = round(float(self.parameters["reference"]), 2)
        self.low = round(self.reference * 0.92, 2)
        self.step = 0
        self.step_started = time.monotonic()
        self.filled: list[str] = []
        self.canceled: list[str] = []
        self.market_order = self.bid = self.low_bid = None

    def on_filled_order(self, position, order, price, quantity, multiplier) -> None:
        self.filled.append(str(order.identifier))

    def on_canceled_order(self, order) -> None:
        self.canceled.append(str(order.identifier))

    def _next(self) -> None:
        self.step += 1
        self.step_started = time.monotonic()

    def _waiting(self, name: str, seen: bool) -> bool:
        """True while an order event is still awaited; records the outcome once it is not."""
        if seen:
            self.calls.call(name, lambda: True)
            self._next()
            return False
        if time.monotonic() - self.step_started > STEP_SECONDS:
            self.calls.call(name, lambda: _timed_out(f"nothing in {STEP_SECONDS:.0f} s"))
            self._next()
            return False
        return True

    def _booked(self, name: str, order, callback: str) -> None:
        """Wait until the order's fill or cancel is in the strategy's book. Lumibot books it
        from one of two threads: the broker's poll, which calls the strategy back, or its
        own order sync (Broker.sync_orders, whose _apply_direct_order_observation copies
        the status and calls nothing; Alpaca's adapter does not override it), whichever
        reads the order list first. So the callback is said, not counted: here
        on_filled_order came in 14 runs of 20 and on_canceled_order in 12, with the
        server's answers the same."""
        identifier = str(getattr(order, "identifier", ""))
        booked = self.get_order(identifier, broker_refresh=False)
        done = booked is not None and (
            booked.is_canceled() if callback == "on_canceled_order" else booked.is_filled()
        )
        if not self._waiting(name, done):
            heard = self.filled if callback == "on_filled_order" else self.canceled
            said = "called" if identifier in heard else "not called"
            print(f"  note {callback}: {said}", flush=True)

    def on_trading_iteration(self) -> None:
        calls = self.calls
        if self.step == 0:
            calls.call("get_cash", self.get_cash, lambda cash: cash > 0)
            calls.call("get_portfolio_value", self.get_portfolio_value, lambda v: v > 0)
            calls.call("get_last_price", lambda: self.get_last_price(SYMBOL), lambda p: p > 0)
            # Fills at once, against the seller's order placed before the strategy started.
            self.market_order = calls.call(
                "submit_order(market)",
                lambda: self.submit_order(self.create_order(SYMBOL, 1, "buy")),
                lambda o: o is not None and o.identifier and o.is_filled(),
            )
            # Rests, until the seller sells into it below: the fill Lumibot must see arrive.
            self.bid = calls.call(
                "submit_order(limit)",
                lambda: self.submit_order(
                    self.create_order(SYMBOL, 1, "buy", limit_price=self.reference)
                ),
                lambda o: o is not None and o.identifier and o.status == "new",
            )
            # Rests, to be canceled.
            self.low_bid = calls.call(
                "submit_order(limit, gtc)",
                lambda: self.submit_order(
                    self.create_order(SYMBOL, 1, "buy", limit_price=self.low, time_in_force="gtc")
                ),
                lambda o: o is not None and o.identifier and o.status == "new",
            )
            self.parameters["sell"]()
            self._next()
        elif self.step == 1:
            self._booked("the limit's fill, in the book", self.bid, "on_filled_order")
        elif self.step == 2:
            calls.call(
                "get_positions",
                self.get_positions,
                lambda ps: any(p.asset.symbol == SYMBOL and p.quantity >= 2 for p in ps),
            )
            low_id = str(getattr(self.low_bid, "identifier", ""))
            calls.call(
                "get_orders",
                self.get_orders,
                lambda orders: any(str(o.identifier) == low_id for o in orders),
            )
            calls.call(
                "get_order",
                lambda: self.get_order(low_id),
                lambda o: o is not None and o.is_active(),
            )
            calls.call("cancel_order", lambda: self.cancel_order(self.low_bid))
            self._next()
        elif self.step == 3:
            self._booked("the cancel, in the book", self.low_bid, "on_canceled_order")
        elif self.step == 4:
            market_id = str(getattr(self.market_order, "identifier", ""))
            calls.call(
                "get_order(market, filled)",
                lambda: self.get_order(market_id),
                lambda o: o is not None and o.is_filled(),
            )
            calls.call("get_cash (after the fills)", self.get_cash, lambda cash: cash > 0)
            self._next()
            self.done.set()


def main(base: str) -> int:
    host, (key, secret), (key2, secret2) = credentials()
    calls = Calls("lumibot", base)
    ref = reference_price(host, key, secret, SYMBOL)
    sell = {"symbol": SYMBOL, "qty": "1", "side": "sell", "type": "limit",
            "limit_price": f"{ref:.2f}", "time_in_force": "gtc"}  # fmt: skip
    _place(host, key2, secret2, sell)

    # The settings: the keys, and the base URL given to the two alpaca-py clients it takes.
    config = {
        "API_KEY": key,
        "API_SECRET": secret,
        "PAPER": True,
        "TRADING_CLIENT": TradingClient(key, secret, paper=True, url_override=base),
        "STOCK_CLIENT": StockHistoricalDataClient(key, secret, url_override=base),
    }
    broker = calls.call("Alpaca(config)", lambda: Alpaca(config, polling_interval=1.0))
    if broker is None:
        return calls.summary()
    done = threading.Event()
    strategy = CompatStrategy(
        broker=broker,
        parameters={
            "calls": calls,
            "done": done,
            "reference": ref,
            "sell": lambda: _place(host, key2, secret2, sell),
        },
    )
    trader = Trader(logfile="", quiet_logs=True)
    # A live trader logs every iteration at INFO; the calls' own lines are what matters here.
    logging.getLogger("lumibot").setLevel(logging.WARNING)
    trader.add_strategy(strategy)
    finished = threading.Lock()

    def finish() -> None:
        """Count, and leave: a live trader keeps threads of its own after it stops."""
        with finished:
            code = calls.summary()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def stop_when_done() -> None:
        if not done.wait(timeout=4 * STEP_SECONDS):
            calls.call("the strategy's steps", lambda: _timed_out("the strategy did not finish"))
        # stop_all can wait on the trader's threads for good: it gets STOP_SECONDS.
        threading.Thread(target=trader.stop_all, daemon=True).start()
        time.sleep(STOP_SECONDS)
        finish()

    threading.Thread(target=stop_when_done, daemon=True).start()
    trader.run_all(show_plot=False, show_tearsheet=False, save_tearsheet=False)
    done.wait(timeout=STOP_SECONDS)
    finish()
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
