"""Reads on accounts."""

from __future__ import annotations

from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user

from accounts.models import ApiKey


def stream_access_valid(
    *, user_id: int, key_id: str | None = None, session_key: str | None = None
) -> bool:
    """Whether the right a socket was opened with still stands: the API key `key_id` is not
    revoked, or the session `session_key` still signs in `user_id` (not logged out, password
    unchanged); and the user is active."""
    if key_id is not None:
        return ApiKey.objects.filter(
            key_id=key_id, user_id=user_id, revoked_at__isnull=True, user__is_active=True
        ).exists()
    if session_key is None:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    # Django's own check of a request's session: the session exists, names the user, and its
    # hash of the password still matches (a changed password ends every other session).
    user = get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]
    return bool(user.is_authenticated and user.pk == user_id and user.is_active)
