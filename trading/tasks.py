"""Timed trading jobs run by Celery beat."""

from celery import shared_task

from trading.services import orders_expire_day


@shared_task(
    name="trading.expire_day_orders",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def expire_day_orders() -> int:
    """Expire every open day order: the clock calls this at the session close."""
    return orders_expire_day()
