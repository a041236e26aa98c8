"""The Celery application shared by the worker and beat."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")

app = Celery("brokerage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="brokerage.ping")
def ping(value: str) -> str:
    """Echo a value back: lets /healthz and the tests see a worker execute a task."""
    return f"pong:{value}"
