"""`make run`'s command with two web processes: one socket, both serving, Ctrl-C stops all."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from brokerage.health import ALIVE_SECONDS

ROOT = Path(__file__).resolve().parents[2]


def _alive_web(client, key: str) -> set[str]:
    return {m.decode() for m in client.zrangebyscore(key, time.time() - ALIVE_SECONDS, "+inf")}


@pytest.mark.timeout(180)
def test_runstack_serves_from_every_web_process_on_one_port_and_ctrl_c_stops_them(tmp_path):
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    prefix = f"runstack{os.getpid()}"  # this stack's own keys and channels
    env = {
        **os.environ,
        "BROKERAGE_VAR_DIR": str(tmp_path / "var"),
        "REDIS_URL": settings.REDIS_URL,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MARKETDATA_API_KEY": "",
        "CHANNEL_LAYER_PREFIX": prefix,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    stack = subprocess.Popen(
        [sys.executable, "manage.py", "runstack", "--no-demo", "--port", "0",
         "--web-processes", "2"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        url = None
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = stack.stdout.readline()
            assert line, "runstack exited:\n" + "".join(lines)
            lines.append(line)
            found = re.search(r"starting on (http://\S+)", line)
            url = found.group(1) if found else None
        assert url, "".join(lines)
        pids = set()
        while len(pids) < 2 and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
                    assert answer.status == 200
            except OSError:
                time.sleep(0.2)
                continue
            pids = {
                name.rsplit(":", 1)[1] for name in _alive_web(client, f"{prefix}:web_processes")
            }
        # Two daphne processes, both alive and saying so, behind the one port.
        assert len(pids) == 2, "".join(lines)
        for pid in pids:  # daphne processes
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            assert any(b"daphne" in part for part in command) and b"--fd" in command
        # Two listening sockets on the one port (SO_REUSEPORT), each held by a web process.
        if shutil.which("ss"):  # iproute2; a machine without it checks the rest
            port = url.rsplit(":", 1)[1]
            listening = subprocess.run(
                ["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True
            ).stdout.splitlines()
            assert len(listening) == 2, listening
            for pid in pids:
                assert any(f"pid={pid}," in line for line in listening), listening

        os.killpg(stack.pid, signal.SIGINT)  # Ctrl-C in the terminal
        assert stack.wait(timeout=30) == 0
        for pid in pids:
            status = Path(f"/proc/{pid}/status")
            assert not status.exists() or "zombie" in status.read_text(), status.read_text()
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{url}/healthz", timeout=2)
    finally:
        if stack.poll() is None:  # a failed check: let honcho stop its processes first
            os.killpg(stack.pid, signal.SIGTERM)
            try:
                stack.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(stack.pid, signal.SIGKILL)
