"""The trading domain's refusals: the one domain error type, under the name trading code uses."""

from core.errors import DomainError

# One type, not a subclass: a refusal from accounts (buying power) inside an order is the same
# kind of thing as one from trading, and every edge maps both by their code.
TradingError = DomainError

__all__ = ["TradingError"]
