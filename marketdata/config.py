"""Start-up checks for the market-data settings; imported by settings, so no Django here."""

from __future__ import annotations

import os
from pathlib import Path

from core.env import ConfigError
from marketdata.providers import ProviderError, get_provider
from marketdata.providers.base import Secret


def api_key_from_env() -> Secret:
    """The provider key from MARKETDATA_API_KEY or the file MARKETDATA_API_KEY_FILE names.

    Wrapped in a Secret so that printing the settings (diffsettings, a debug page, a log
    line) shows *** instead of the key.
    """
    direct = (os.environ.get("MARKETDATA_API_KEY") or "").strip()
    file_name = (os.environ.get("MARKETDATA_API_KEY_FILE") or "").strip()
    if direct and file_name:
        raise ConfigError("set MARKETDATA_API_KEY or MARKETDATA_API_KEY_FILE, not both")
    if not file_name:
        return Secret(direct)
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


def check_provider(name: str, api_key: Secret, base_url: str | None) -> str:
    """The provider name, normalized, once `get_provider` accepts it; else a ConfigError."""
    try:
        provider = get_provider(name, api_key.reveal() or None, base_url=base_url)
    except ProviderError as exc:
        # get_provider's messages name the variable and never include the key.
        raise ConfigError(str(exc)) from None
    return provider.name
