"""Helpers for the client tests: the real `brokerage` command against a real daphne.

The daphne, its private channel-layer prefix and the symbol cache reset come from the stream
tests (`streams.tests.conftest`), so both suites start servers the same way.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from streams.tests.conftest import (  # noqa: F401 - fixtures used by these tests
    Daphne,
    _fresh_symbol_cache,
    _private_channel_layer,
    daphne,
    free_port,
)

BROKERAGE = Path(sys.executable).with_name("brokerage")


def api_key(user) -> tuple[str, str]:
    from accounts.services import api_key_create

    key, secret = api_key_create(user=user, name="terminal")
    return key.key_id, secret


class Cli:
    """Runs `brokerage ...` as a user would, with a config file of its own and a clean env."""

    def __init__(self, home: Path, url: str) -> None:
        assert BROKERAGE.exists(), f"{BROKERAGE} is missing: `make test` installs it"
        self.home = home
        self.url = url
        self.config = home / "brokerage" / "config.toml"
        keep = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")
        self.env = {k: v for k, v in os.environ.items() if k in keep}
        self.env.update(HOME=str(home), BROKERAGE_CONFIG=str(self.config), PYTHONUNBUFFERED="1")

    def __call__(self, *args: str, stdin: str = "", env: dict | None = None, timeout: float = 60):
        return subprocess.run(
            [str(BROKERAGE), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=timeout,
        )

    def login(self, user) -> tuple[str, str]:
        key_id, secret = api_key(user)
        done = self("--url", self.url, "login", stdin=f"{key_id}\n{secret}\n")
        assert done.returncode == 0, done.stderr
        return key_id, secret

    def watch(self, *args: str) -> Watch:
        return Watch([str(BROKERAGE), "watch", *args], self.env)


class Watch:
    """A running `brokerage watch`, its output collected line by line as it comes."""

    def __init__(self, argv: list[str], env: dict) -> None:
        self.process = subprocess.Popen(
            argv,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._new.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 20) -> str:
        """The first line (since the start) matching `pattern`; fails with what was seen."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines:
                if regex.search(line):
                    return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line matched {pattern!r}; saw:\n" + "\n".join(self.lines))
            try:
                self.lines.append(self._new.get(timeout=min(remaining, 0.5)))
            except queue.Empty:
                if self.process.poll() is not None and self._new.empty():
                    raise AssertionError(
                        f"watch exited {self.process.returncode} before {pattern!r}:\n"
                        + "\n".join(self.lines)
                        + self.process.stderr.read()
                    ) from None

    def interrupt(self) -> tuple[int, str]:
        """Ctrl-C: the exit code and whatever it wrote on stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.process.returncode, self.process.stderr.read()


@pytest.fixture
def cli(daphne, tmp_path) -> Cli:  # noqa: F811 - the imported fixture, by name
    return Cli(tmp_path, daphne.http)
