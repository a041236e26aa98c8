"""The market-data clock: Celery beat calls pull_prices every PRICE_PULL_SECONDS."""

from dataclasses import asdict

from celery import shared_task

from marketdata.services import prices_pull


# No retries: a failed round is superseded by the next beat a few seconds later, and the
# service itself turns provider failures into stale prices instead of exceptions.
@shared_task(name="marketdata.pull_prices", ignore_result=True, soft_time_limit=50, time_limit=60)
def pull_prices() -> dict:
    """One round of reference prices from the configured provider."""
    return asdict(prices_pull())
