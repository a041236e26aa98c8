"""What every page's top bar shows of trading: the bell's unread count."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from trading.alerts import selectors


def notifications(request) -> dict:
    """`unread_notifications`, counted only if the page renders it (signed in)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: selectors.unread_count(user=user))}
