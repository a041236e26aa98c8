"""The Brokerage project package: settings, ASGI routing, Celery app, root URLs."""

from brokerage.celery import app as celery_app

__all__ = ["celery_app"]
