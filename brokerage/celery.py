"""The Celery application shared by the worker and beat."""

import os
from pathlib import Path

from celery import Celery, beat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")

app = Celery("brokerage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class PersistentScheduler(beat.PersistentScheduler):
    """Celery's file-backed beat schedule, in a folder (VAR_DIR) it creates if need be: the
    settings no longer create folders on import."""

    def setup_schedule(self) -> None:
        # celery-types does not declare the attribute Celery's PersistentScheduler sets.
        filename: str = self.schedule_filename  # type: ignore[attr-defined]
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()


@app.task(name="brokerage.ping")
def ping(value: str) -> str:
    """Echo a value back: lets /healthz and the tests see a worker execute a task."""
    return f"pong:{value}"
