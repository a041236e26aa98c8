"""The bookkeeping every client check shares: run named calls, count what worked, say so.

Imported by path from each client's script, which runs in that client's own virtualenv: it
needs nothing but the standard library (and `requests` for setup, which every client has).
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
import urllib.request
from collections.abc import Callable
from typing import Any


class Calls:
    """Each call either works (returns what `expect` accepts), or is refused cleanly (an
    unsupported feature answered with a 4xx the client raises), or fails: a failure is any
    other outcome, printed with its error."""

    def __init__(self, client: str, base: str) -> None:
        self.client, self.base = client, base
        self.worked: list[str] = []
        self.refused: list[str] = []
        self.failed: list[tuple[str, str]] = []

    def call(self, name: str, fn: Callable[[], Any], expect: Callable[[Any], bool] | None = None):
        try:
            result = fn()
            if expect is not None and not expect(result):
                raise AssertionError(f"unexpected answer: {str(result)[:300]}")
        except Exception as exc:
            self.failed.append((name, f"{type(exc).__name__}: {str(exc)[:300]}"))
            print(f"  FAIL {name}: {type(exc).__name__}: {str(exc)[:300]}", flush=True)
            if os.environ.get("COMPAT_TRACEBACK"):
                traceback.print_exc()
            return None
        self.worked.append(name)
        print(f"  ok   {name}", flush=True)
        return result

    def refuse(self, name: str, fn: Callable[[], Any], statuses=(422,)) -> None:
        """A documented-unsupported call: it must raise, with one of `statuses` in its text."""
        try:
            fn()
        except Exception as exc:
            text = f"{exc!r} {_attribute(exc, 'status_code')} {_attribute(exc, 'code')}"
            if any(str(s) in text for s in statuses) or "not supported" in text:
                self.refused.append(name)
                print(f"  ok   {name} (refused: {str(exc)[:120]})", flush=True)
                return
            self.failed.append((name, f"refused wrongly: {exc!r}"[:300]))
            print(f"  FAIL {name}: refused wrongly: {exc!r}"[:300], flush=True)
            return
        self.failed.append((name, "accepted, but it is not supported"))
        print(f"  FAIL {name}: accepted, but it is not supported", flush=True)

    def summary(self) -> int:
        total = len(self.worked) + len(self.failed)
        print(
            f"{self.client} via {self.base}: {len(self.worked)} of {total} supported calls "
            f"worked, {len(self.refused)} unsupported calls refused cleanly",
            flush=True,
        )
        return 1 if self.failed else 0


def _attribute(exc: Exception, name: str) -> object:
    """An SDK error's attribute, or "" where reading it fails (alpaca-py's `code` parses the
    body as JSON, and raises on an HTML page)."""
    try:
        return getattr(exc, name, "")
    except Exception:
        return ""


def wait_for(predicate: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def reference_price(host: str, key: str, secret: str, symbol: str) -> float:
    """The stock's reference price, from `/api/v1` (setup only, not a client call)."""
    request = urllib.request.Request(
        f"{host}/api/v1/stocks/{symbol}",
        headers={"APCA-API-KEY-ID": key, "APCA-API-SECRET-KEY": secret},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return float(json.loads(response.read())["reference_price"])


def credentials() -> tuple[str, tuple[str, str], tuple[str, str]]:
    """The server (`COMPAT_HOST`, e.g. http://127.0.0.1:8200) and two traders' keys: the
    buyer's (`COMPAT_KEY`/`COMPAT_SECRET`) and a seller's (`COMPAT_KEY2`/`COMPAT_SECRET2`)."""
    env = os.environ
    try:
        return (
            env["COMPAT_HOST"].rstrip("/"),
            (env["COMPAT_KEY"], env["COMPAT_SECRET"]),
            (env["COMPAT_KEY2"], env["COMPAT_SECRET2"]),
        )
    except KeyError as missing:
        sys.exit(f"set {missing.args[0]} (see tools/alpaca_compat.sh)")
