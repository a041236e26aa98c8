"""Strict readers for configuration taken from environment variables.

A value that cannot be parsed is an error at start-up, never a silent default:
`DJANGO_DEBUG=ture` must not quietly mean False.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal, InvalidOperation
from typing import overload

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(Exception):
    """A configuration variable is missing or malformed."""


class Secret:
    """An API key that shows as *** in every repr, so it cannot leak through debug output."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The key itself, only for building a request."""
        return self._value

    def scrub(self, text: str) -> str:
        """`text` with every occurrence of the key replaced."""
        return text.replace(self._value, "***") if self._value else text

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None = None) -> str | None: ...
def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable as text, or `default` when unset or empty."""
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    """Return the variable as a boolean; anything but a known spelling is an error."""
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean (use one of: true, false, 1, 0, yes, no)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Return the variable as an integer, optionally bounded below."""
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not an integer") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}={number} must be at least {minimum}")
    return number


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    """Return the variable as a float (for durations, never for money)."""
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ConfigError(f"{name}={value!r} is not a finite number")
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}={number} must be at least {minimum}")
    return number


def env_decimal(name: str, default: str, *, minimum: Decimal | None = None) -> Decimal:
    """Return the variable as a finite Decimal (money amounts)."""
    value = _raw(name) or default
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ConfigError(f"{name}={value!r} is not a decimal number") from None
    if not number.is_finite():
        raise ConfigError(f"{name}={value!r} is not a finite number")
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}={number} must be at least {minimum}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated variable as a list of non-empty items."""
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_secret(name: str) -> Secret:
    """Return the variable wrapped in a Secret (empty when unset), so no repr can show it."""
    return Secret(_raw(name) or "")


_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}
_PERIODS |= {"h": 3600, "hour": 3600}
_RATE = re.compile(r"^(\d+)/(\d*)([a-z]+)$")


def parse_rate(rate: str) -> tuple[int, int] | None:
    """`200/min` -> (200 requests, 60 seconds); `10/5s` -> (10, 5); `off` -> None."""
    text = rate.strip().lower().replace(" ", "")
    if text in ("off", "none"):
        return None
    match = _RATE.match(text)
    if match is None or match.group(3) not in _PERIODS or int(match.group(1)) < 1:
        raise ConfigError(f"a rate is like 200/min, 10/s or off, not {rate!r}")
    return int(match.group(1)), int(match.group(2) or 1) * _PERIODS[match.group(3)]


def env_rate(name: str, default: str) -> tuple[int, int] | None:
    """Return the variable as a rate limit (requests, seconds), or None for `off`."""
    value = _raw(name) or default
    try:
        return parse_rate(value)
    except ConfigError:
        raise ConfigError(f"{name}={value!r} is not a rate like 200/min, 10/s or off") from None
