"""A new user's account, and the end of a user's private streams.

Whatever ends a user's right to their private streams, however it happens (a page, the admin,
a command): the streams are told on commit (`accounts.services.stream_access_end`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from accounts.models import User
from accounts.services import account_open, stream_access_end


@receiver(post_save, sender=User)
def _open_account(sender: Any, instance: User, created: bool, raw: bool = False, **kw: Any) -> None:
    """Every user but the house gets an account, however they were created (sign-up, the
    admin, `createsuperuser`, a command): in the same transaction as the user."""
    if created and not raw and not instance.is_house:
        with transaction.atomic():
            account_open(user=instance)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    # Sent before the session is flushed: its key still names the sockets it opened.
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and session_key:
        stream_access_end(user_id=user.pk, session_key=session_key)


@receiver(pre_save, sender=User)
def _password_or_active_changed(
    sender: Any, instance: User, update_fields: Any = None, **kwargs: Any
) -> None:
    if instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # last_login on every log-in, say: no extra query
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["is_active"] and not instance.is_active:
        stream_access_end(user_id=instance.pk)  # every key and session
    elif before["password"] != instance.password:
        # A new password ends the sessions (Django's session hash); API keys stand.
        stream_access_end(user_id=instance.pk, every_session=True)
