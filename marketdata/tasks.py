"""The market-data clock: Celery beat calls pull_prices every PRICE_PULL_SECONDS."""

from dataclasses import asdict

from celery import shared_task
from django.conf import settings

from marketdata.redis_state import PULL_PERIOD_KEY, redis_client
from marketdata.services import PullReport, prices_pull


def pull_period_claim() -> bool:
    """Claim this period's pull: true for the first caller within 0.8 of a period, false after.

    Beat runs on every app host and one acts; in the tick where the lock passes from one to the
    other both may send the pull. The simulator's walk would then step twice and the history
    get two rows for one tick: the second pull of a period is a no-op instead.
    """
    lease_ms = max(1, int(settings.PRICE_PULL_SECONDS * 800))
    return bool(redis_client().set(PULL_PERIOD_KEY, "1", nx=True, px=lease_ms))


# No retries: a failed round is superseded by the next beat a few seconds later, and the
# service itself turns provider failures into stale prices instead of exceptions.
@shared_task(name="marketdata.pull_prices", ignore_result=True, soft_time_limit=50, time_limit=60)
def pull_prices() -> dict:
    """One round of reference prices from the configured provider, once a period."""
    if not pull_period_claim():
        return asdict(PullReport(skipped=True))
    return asdict(prices_pull())
