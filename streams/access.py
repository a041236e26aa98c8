"""Who may read a socket's private channels, and for how long: one helper for every endpoint.

A private right is held by an API key or a browser session (`Holder`). It ends when the key is
revoked, the session logged out, the password changed or the user deactivated; the service
that ends it publishes `stream.revoke` on `access.<user id>`. `AccessWatch` listens there
through the process's relay and, as the backstop should that event be lost (Redis down at the
commit), re-checks the right every `ACCESS_RECHECK_SECONDS`.

How an endpoint uses it (`/ws/` here; Alpaca's `/stream` the same way):

    holder = await key_holder(key_id, secret)          # or session_holder(scope)
    watch = AccessWatch(self, holder, on_end=self.revoked)
    await watch.start()                                # listen for the event
    watch.recheck()                                    # and re-check on the clock
    ...
    async def stream_revoke(self, event):              # the relay calls this
        if holder.ended_by(event):
            await self.revoked()                       # which calls `await watch.stop()`
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from channels.db import database_sync_to_async

from accounts.models import User
from accounts.selectors import stream_access_valid
from accounts.services import api_key_authenticate
from core import streams
from streams.relay import Member, relay
from streams.snapshots import reader

log = logging.getLogger(__name__)

# A socket's private right is re-checked this often while it needs one: the backstop of the
# `stream.revoke` event, should one be lost (Redis down at the commit).
ACCESS_RECHECK_SECONDS = 30.0

Method = Literal["session", "api_key"]


@dataclass(frozen=True)
class Holder:
    """The user a socket's private right belongs to, and what gave it: a key or a session."""

    user: User
    method: Method
    key_id: str | None = None
    session_key: str | None = None

    def ended_by(self, event: dict[str, Any]) -> bool:
        """Whether a `stream.revoke` event ends this right (`core.streams.access_revoked`)."""
        if event.get("user_id") != self.user.pk:
            return False
        if event.get("key_id"):
            return self.method == "api_key" and self.key_id == event["key_id"]
        if event.get("session_key"):
            return self.method == "session" and self.session_key == event["session_key"]
        if event.get("every_session"):
            return self.method == "session"
        return True  # the user's every right (deactivated)

    async def still_valid(self) -> bool:
        """Read again whether the key or session still stands (on the thread pool)."""
        return await reader(stream_access_valid)(
            user_id=self.user.pk,
            key_id=self.key_id if self.method == "api_key" else None,
            session_key=self.session_key if self.method == "session" else None,
        )


@database_sync_to_async
def _authenticate(key_id: str, secret: str) -> Holder | None:
    key = api_key_authenticate(key_id=key_id, secret=secret)
    return None if key is None else Holder(user=key.user, method="api_key", key_id=key.key_id)


async def key_holder(key_id: str, secret: str) -> Holder | None:
    """The holder of an API key and its secret; None for an unknown, revoked or mismatched one."""
    return await _authenticate(key_id.strip(), secret.strip())


def session_holder(scope: dict[str, Any]) -> Holder | None:
    """The signed-in user of the handshake's session cookie (`AuthMiddlewareStack`), if any."""
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return None
    session = scope.get("session")
    return Holder(user=user, method="session", session_key=getattr(session, "session_key", None))


def header_key(scope: dict[str, Any]) -> tuple[str, str] | None:
    """The API key id and secret of the handshake's `APCA-API-*` headers, if it sent an id."""
    headers = {
        k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
    }
    key_id = headers.get("apca-api-key-id", "").strip()
    if not key_id:
        return None
    return key_id, headers.get("apca-api-secret-key", "").strip()


class AccessWatch:
    """Ends a socket's private right when it ends elsewhere; see the module docstring.

    `on_end` is called once when the re-check finds the right gone; `needed` says whether the
    socket still holds something private (the re-check stops when not, until `recheck()`).
    """

    def __init__(
        self,
        member: Member,
        holder: Holder,
        *,
        on_end: Callable[[], Awaitable[None]],
        needed: Callable[[], bool] = lambda: True,
    ) -> None:
        self.member = member
        self.holder = holder
        self.on_end = on_end
        self.needed = needed
        self.group: str | None = None
        self.task: asyncio.Task[None] | None = None
        self.stopped = False

    async def start(self) -> None:
        """Listen for `stream.revoke` on the user's access group (the relay calls the member's
        `stream_revoke`). With Redis down the re-check is the backstop."""
        group = streams.access_group(self.holder.user.pk)
        try:
            await relay().join(group, self.member)
        except Exception:
            await relay().leave(group, self.member)
            log.warning("could not watch %s; relying on the re-check", group, exc_info=True)
            return
        self.group = group

    def recheck(self) -> None:
        """Re-check on the clock from now (a no-op while a re-check is already running)."""
        if not self.stopped and (self.task is None or self.task.done()):
            self.task = asyncio.create_task(self._recheck())

    async def stop(self) -> None:
        self.stopped = True
        if self.task is not None:
            self.task.cancel()
            self.task = None
        if self.group is not None:
            group, self.group = self.group, None
            await relay().leave(group, self.member)

    async def _recheck(self) -> None:
        while not self.stopped:
            await asyncio.sleep(ACCESS_RECHECK_SECONDS)
            if self.stopped:
                return
            if not self.needed():
                self.task = None
                return  # nothing private held any more: the next `recheck()` starts anew
            try:
                valid = await self.holder.still_valid()
            except Exception:  # the database is away: check again next time
                log.warning("could not re-check a stream's access", exc_info=True)
                continue
            if not valid:
                self.task = None
                await self.on_end()
                return
