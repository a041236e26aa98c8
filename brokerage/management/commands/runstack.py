"""Run the whole site: migrate, load demo data, then daphne, a Celery worker and beat together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from brokerage import embedded_redis
from brokerage.folders import make_var_dirs

PROCFILE = Path(settings.BASE_DIR) / "Procfile"
STOPPED = (0, 130, -signal.SIGINT, -signal.SIGTERM)


class Command(BaseCommand):
    help = "Migrate, load demo data and start web (daphne), worker and beat; Ctrl-C stops all."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true", help="Skip demo users and data.")

    def handle(self, *args, **options):
        if not os.environ.get("REDIS_URL", "").strip():
            # This process read the settings before any Redis existed: start the embedded one
            # and run again with REDIS_URL exported, so that this command's own steps (the demo
            # orders publish) and web, worker and beat all use that one server.
            _, url = embedded_redis.start()
            sys.exit(self._run_again({**os.environ, "REDIS_URL": url}))
        make_var_dirs()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("setup_demo", **({"no_users": True} if options["no_demo"] else {}))
        call_command("collectstatic", interactive=False, verbosity=0)
        url = f"http://{options['host']}:{options['port']}"
        env = {
            **os.environ,
            "WEB_HOST": options["host"],
            "WEB_PORT": str(options["port"]),
            "PYTHONUNBUFFERED": "1",
        }
        self.stdout.write(
            self.style.SUCCESS(f"\nBrokerage is starting on {url}\n")
            + f"  database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
            f" · redis: {settings.REDIS_URL}\n"
            "  log in as alice / bob / carol (traders) or staff (admin), password demo-pass-123\n"
            "  Ctrl-C stops web, worker and beat.\n"
        )
        bin_dir = Path(sys.executable).parent
        process = subprocess.Popen(
            [str(bin_dir / "honcho"), "-f", str(PROCFILE), "-d", str(settings.BASE_DIR), "start"],
            env={**env, "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"},
        )
        # Ctrl-C in a terminal reaches honcho too, but SIGTERM or a SIGINT sent to this
        # process alone does not: pass it on, and honcho stops web, worker and beat.
        code = _wait_passing_signals(process, signal.SIGINT)
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
