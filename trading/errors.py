"""The trading domain's refusals: one error type with a stable code."""

from core.errors import DomainError


class TradingError(DomainError):
    """An order, cancel or bid that the rules refuse; nothing was changed."""
