"""The market-data configuration: the provider's key, and whether the provider is usable.

The settings only hold what the environment says; nothing here runs when they are imported.
`marketdata.checks` turns a bad configuration into a system check error (`manage.py check`,
`migrate`, `runstack`), and the price pull reads the key through `configured_api_key()`.
"""

from __future__ import annotations

from pathlib import Path

from core.env import ConfigError, Secret
from marketdata.providers import ProviderError, get_provider


def api_key(direct: Secret | str | None, file_name: str | None) -> Secret:
    """The provider key: `direct` (MARKETDATA_API_KEY) or the MARKETDATA_API_KEY_FILE file's.

    A Secret, so that printing it (a debug page, a log line) shows *** instead of the key.
    """
    if not isinstance(direct, Secret):
        direct = Secret((direct or "").strip())
    file_name = (file_name or "").strip()
    if direct and file_name:
        raise ConfigError("set MARKETDATA_API_KEY or MARKETDATA_API_KEY_FILE, not both")
    if not file_name:
        return direct
    try:
        key = Path(file_name).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        # The path is configuration, not the secret; the reason is the OS's short text.
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigError(
            f"MARKETDATA_API_KEY_FILE={file_name!r} cannot be read: {reason}"
        ) from None
    if not key:
        raise ConfigError(f"MARKETDATA_API_KEY_FILE={file_name!r} is empty")
    return Secret(key)


def configured_api_key() -> Secret:
    """The key the settings configure (read from its file each time, so a rotated key is used)."""
    from django.conf import settings

    return api_key(settings.MARKETDATA_API_KEY, settings.MARKETDATA_API_KEY_FILE)


def check_provider(name: str, api_key: Secret, base_url: str | None) -> str:
    """The provider name, normalized, once `get_provider` accepts it; else a ConfigError."""
    try:
        provider = get_provider(name, api_key.reveal() or None, base_url=base_url)
    except ProviderError as exc:
        # get_provider's messages name the variable and never include the key.
        raise ConfigError(str(exc)) from None
    return provider.name
