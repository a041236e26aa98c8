"""A real Celery worker in a subprocess, for tests that need a task executed for real."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def celery_worker(redis_url: str, *, queue: str | None = None) -> Iterator[subprocess.Popen]:
    """Run `celery -A brokerage worker` (solo pool) on `redis_url` until the block ends."""
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "brokerage",
        "worker",
        "--pool",
        "solo",
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
    ]
    if queue:
        args += ["-Q", queue]
    worker = subprocess.Popen(
        args,
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": redis_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
