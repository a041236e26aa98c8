"""System checks: a market-data configuration that cannot work stops `manage.py check`,
`migrate` and `runstack` (so `make run`) before anything starts."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from core.env import ConfigError
from marketdata.config import check_provider, configured_api_key


@register("marketdata")
def provider_configured(app_configs=None, **kwargs) -> list[Error]:
    """The provider is known, has the key it needs, and a key file is readable."""
    try:
        check_provider(
            settings.MARKETDATA_PROVIDER, configured_api_key(), settings.MARKETDATA_BASE_URL
        )
    except ConfigError as exc:
        # The messages name the variable and never include the key.
        return [Error(str(exc), id="marketdata.E001")]
    return []
