"""This process's single listener per channel-layer group, handing each message to local sockets.

Joining every socket to the channel layer group would make the layer queue, deserialize and
dispatch each message once per socket (a task, a wait and a middleware chain each); with a
thousand sockets on one symbol that overhead, not the network, bounded latency. Here each
process receives a group's message once and calls its sockets' handlers directly. A handler
never waits on anything but the socket write, which daphne buffers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


class Member(Protocol):
    """A socket that takes stream messages from the relay (and, when it has a private right,
    `stream.revoke` control events: `stream_revoke`)."""

    async def stream_message(self, event: dict[str, Any]) -> None: ...


class Relay:
    """One event loop's listeners: a pump task per group with at least one local member."""

    def __init__(self) -> None:
        # group -> socket -> how many of its subscriptions use the group (book and trades
        # of a symbol share one).
        self.members: dict[str, dict[Member, int]] = {}
        self.ready: dict[str, asyncio.Future] = {}
        self.pumps: dict[str, asyncio.Task] = {}
        # Every pump until it has finished, including those cancelled and still leaving their
        # group: the loop keeps only weak references to tasks.
        self.tasks: set[asyncio.Task] = set()

    async def join(self, group: str, member: Member) -> None:
        """Returns once messages to `group` are certain to reach `member`."""
        members = self.members.get(group)
        if members is None:
            members = self.members[group] = {}
            ready = self.ready[group] = asyncio.get_running_loop().create_future()
            pump = self.pumps[group] = asyncio.create_task(self._pump(group, ready))
            self.tasks.add(pump)
            pump.add_done_callback(self.tasks.discard)
        members[member] = members.get(member, 0) + 1
        await asyncio.shield(self.ready[group])

    async def leave(self, group: str, member: Member) -> None:
        members = self.members.get(group)
        if members is None:
            return
        if members.get(member, 0) > 1:
            members[member] -= 1
            return
        members.pop(member, None)
        if not members:
            del self.members[group]
            del self.ready[group]
            self.pumps.pop(group).cancel()

    async def _pump(self, group: str, ready: asyncio.Future) -> None:
        layer = get_channel_layer()
        try:
            assert layer is not None, "no channel layer is configured"
            channel = await layer.new_channel()
            await layer.group_add(group, channel)
        except Exception as exc:  # Redis unreachable: every socket waiting to join is told
            ready.set_exception(exc)
            return
        ready.set_result(None)
        try:
            while True:
                try:
                    event = await layer.receive(channel)
                except asyncio.CancelledError:
                    raise
                except Exception:  # Redis went away: sequenced streams resync on the next gap
                    log.warning("relay for %s could not receive; retrying", group, exc_info=True)
                    await asyncio.sleep(1)
                    continue
                kind = str(event.get("type", "stream.message")).replace(".", "_")
                for member in list(self.members.get(group, ())):
                    try:
                        await getattr(member, kind)(event)
                    except Exception:
                        log.exception("stream delivery to a socket failed")
        finally:
            with contextlib.suppress(Exception):
                await layer.group_discard(group, channel)


# One relay per event loop: daphne has one; tests start a loop per scenario.
_relays: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Relay] = weakref.WeakKeyDictionary()


def relay() -> Relay:
    """The running event loop's relay."""
    loop = asyncio.get_running_loop()
    found = _relays.get(loop)
    if found is None:
        found = _relays[loop] = Relay()
    return found
