"""A user's trading configuration (Alpaca's account configurations): what they may switch."""

from __future__ import annotations

from accounts.models import User
from core import words
from trading.errors import TradingError
from trading.models import TradingConfiguration

CONFIGURATION_CHOICES = {
    "trade_confirm_email": ("all", "none"),
    "dtbp_check": ("both", "entry", "exit"),
    "pdt_check": ("both", "entry", "exit"),
}


def configuration_update(*, user: User, changes: dict[str, object]) -> TradingConfiguration:
    """Change what this exchange can honour; margin, shorting and fractions stay off."""
    config, _ = TradingConfiguration.objects.get_or_create(user=user)
    for name, allowed in CONFIGURATION_CHOICES.items():
        if changes.get(name) is not None:
            value = str(changes[name]).lower()
            if value not in allowed:
                raise TradingError(
                    f"invalid_{name}",
                    f"{words.label(name)} must be one of: {', '.join(allowed)}.",
                )
            setattr(config, name, value)
    if changes.get("suspend_trade") is not None:
        config.suspend_trade = changes["suspend_trade"] in (True, "true", "True")
    for name, only in (
        ("no_shorting", True),
        ("fractional_trading", False),
        ("max_margin_multiplier", "1"),
    ):
        value = changes.get(name)
        if value is not None and str(value).lower() != str(only).lower():
            raise TradingError(
                "unsupported_configuration",
                f"{words.label(name)} can only be {str(only).lower()} on this exchange.",
            )
    config.save()
    return config
