"""Run the whole site: migrate, load demo data, then daphne, a Celery worker and beat together.

The web processes (`WEB_CONCURRENCY`, by default one per core) listen on one port: each
inherits a socket of its own opened here (`--fd`), all bound with SO_REUSEPORT, and the kernel
spreads new connections evenly across them. Each process relays the streams to its own sockets; the Redis pub/sub layer
spans them all. honcho runs the lot: its output, and Ctrl-C stopping every process.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from brokerage import embedded_redis
from brokerage.folders import make_var_dirs
from brokerage.sockets import listening_sockets

PROCFILE = Path(settings.BASE_DIR) / "Procfile"
MANAGE = Path(settings.BASE_DIR) / "manage.py"
STOPPED = (0, 130, 143, -signal.SIGINT, -signal.SIGTERM)


class Command(BaseCommand):
    help = "Migrate, load demo data and start web (daphne), worker and beat; Ctrl-C stops all."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true", help="Skip demo users and data.")
        parser.add_argument(
            "--web-processes",
            type=int,
            default=web_concurrency(),
            help="daphne processes on the one socket (WEB_CONCURRENCY; default: one per core)",
        )

    def handle(self, *args, **options):
        if not os.environ.get("REDIS_URL", "").strip():
            # This process read the settings before any Redis existed: start the embedded one
            # and run again with REDIS_URL exported, so that this command's own steps (the demo
            # orders publish) and web, worker and beat all use that one server.
            _, url = embedded_redis.start()
            sys.exit(self._run_again({**os.environ, "REDIS_URL": url}))
        make_var_dirs()
        # Static files are hashed and compressed in a process of their own, on the other core,
        # while this one migrates and loads the demo: a fresh clone's first start waits for
        # the longer of the two instead of both.
        collect = subprocess.Popen(
            [sys.executable, str(MANAGE), "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=str(settings.BASE_DIR),
        )
        try:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("setup_demo", **({"no_users": True} if options["no_demo"] else {}))
        finally:
            collected = collect.wait()
        if collected != 0:
            raise CommandError(f"collectstatic failed (exit status {collected})")
        web = max(1, options["web_processes"])
        listeners = listening_sockets(options["host"], options["port"], web)
        port = listeners[0].getsockname()[1]
        url = f"http://{options['host']}:{port}"
        env = {**os.environ, "WEB_CONCURRENCY": str(web), "PYTHONUNBUFFERED": "1"}
        self.stdout.write(
            self.style.SUCCESS(f"\nBrokerage is starting on {url}\n")
            + f"  database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
            f" · redis: {settings.REDIS_URL} · web processes: {web}\n"
            "  log in as alice / bob / carol (traders) or staff (admin), password demo-pass-123\n"
            "  Ctrl-C stops web, worker and beat.\n"
        )
        sys.stdout.flush()
        bin_dir = Path(sys.executable).parent
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        code = run_processes(_procfile(), env, [sock.fileno() for sock in listeners])
        for sock in listeners:
            sock.close()
        if code not in STOPPED:
            self.stderr.write(f"a process exited with status {code}; everything was stopped")
        sys.exit(0 if code in STOPPED else code)

    def _run_again(self, env: dict[str, str]) -> int:
        """This command in a child process with `env`; its exit status (0 when stopped)."""
        child = subprocess.Popen([sys.executable, *sys.argv], env=env)
        # A signal to this process alone goes on to the child as SIGTERM, which it passes on.
        code = _wait_passing_signals(child, signal.SIGTERM)
        return 0 if code in STOPPED else code


def _wait_passing_signals(process: subprocess.Popen, as_signal: int) -> int:
    """Wait for `process`, sending it `as_signal` when this process gets SIGINT or SIGTERM."""

    def pass_on(signum, frame):
        if process.poll() is None:
            process.send_signal(as_signal)

    signal.signal(signal.SIGINT, pass_on)
    signal.signal(signal.SIGTERM, pass_on)
    return process.wait()


def web_concurrency() -> int:
    """WEB_CONCURRENCY if set, else the number of cores."""
    raw = os.environ.get("WEB_CONCURRENCY", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else (os.cpu_count() or 1)


def _procfile() -> dict[str, str]:
    from honcho.environ import parse_procfile

    return dict(parse_procfile(PROCFILE.read_text()).processes)


def run_processes(commands: dict[str, str], env: dict[str, str], fds: list[int]) -> int:
    """web.1 … web.N (one per socket in `fds`), then every other Procfile process, under
    honcho; their exit status."""
    from honcho.manager import Manager
    from honcho.process import Popen

    manager = Manager()
    for name, command in commands.items():
        if name != "web":
            manager.add_process(name, command, env=env, cwd=str(settings.BASE_DIR))
            continue
        for i, fd in enumerate(fds, start=1):
            process = manager.add_process(
                f"web.{i}", command, env={**env, "WEB_FD": str(fd)}, cwd=str(settings.BASE_DIR)
            )
            # honcho closes inherited descriptors; each web process keeps its socket.
            process._child_ctor = functools.partial(Popen, pass_fds=(fd,))
    # Ctrl-C in a terminal reaches every process; SIGTERM or a SIGINT sent to this process
    # alone reaches honcho's manager, which stops them all.
    manager.loop()
    return manager.returncode or 0
