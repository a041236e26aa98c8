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

PROCFILE = Path(settings.BASE_DIR) / "Procfile"


class Command(BaseCommand):
    help = "Migrate, load demo data and start web (daphne), worker and beat; Ctrl-C stops all."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true", help="Skip demo users and data.")

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("setup_demo", **({"no_users": True} if options["no_demo"] else {}))
        call_command("collectstatic", interactive=False, verbosity=0)
        url = f"http://{options['host']}:{options['port']}"
        env = {
            **os.environ,
            # The embedded Redis started by the settings is shared by every child process.
            "REDIS_URL": settings.REDIS_URL,
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

        def stop(signum, frame):
            # Ctrl-C in a terminal reaches honcho too, but SIGTERM or a SIGINT sent to this
            # process alone does not: pass it on, and honcho stops web, worker and beat.
            if process.poll() is None:
                process.send_signal(signal.SIGINT)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        code = process.wait()
        if code not in (0, 130, -signal.SIGINT, -signal.SIGTERM):
            self.stderr.write(f"a process exited with status {code}; everything was stopped")
        sys.exit(0 if code in (0, 130, -signal.SIGINT, -signal.SIGTERM) else code)
