"""Presence (protocol v1.1): how many clients watch a stream, and how many of them control it.

A stream broadcasts ``presence`` {viewers, controllers} to its clients when a
client joins or leaves, at most once per :data:`INTERVAL`, latest-wins: a
client whose socket is full gets only the newest counts, and a client is sent
counts only when they differ from the last ones it was given (a client that
joins and leaves within the interval changes nothing for the others).

:class:`PresenceClock` decides when, without a clock or a loop of its own;
:class:`StreamPresence` runs it on the hub's loop with at most one timer per
stream (none while nothing changes): never a timer per client, never polling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from glyphcast_websocket.fanout import FanOut
from glyphcast_websocket.security import CONTROLLER
from glyphcast_websocket.session import Session

#: Seconds between two presence broadcasts of one stream, at least.
INTERVAL = 1.0


@dataclass(frozen=True, slots=True)
class Counts:
    """``viewers``: every client of the stream, controllers included; ``controllers``: those with that role."""

    viewers: int
    controllers: int


def count(sessions: Iterable[Session]) -> Counts:
    viewers = controllers = 0
    for s in sessions:
        viewers += 1
        controllers += s.info.role == CONTROLLER
    return Counts(viewers, controllers)


class PresenceClock:
    """When a stream's next presence broadcast is due (sans-I/O: the caller says what time it is)."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        #: When the last broadcast that reached a client went out; None before the first.
        self.sent_at: float | None = None
        #: When the broadcast already scheduled is due; None when none is.
        self.due_at: float | None = None

    def changed(self, now: float) -> float | None:
        """A client joined or left: seconds until the broadcast, or None if one is already scheduled."""
        if self.due_at is not None:
            return None
        earliest = now if self.sent_at is None else self.sent_at + self.interval
        self.due_at = max(now, earliest)
        return self.due_at - now

    def fired(self, now: float, sent: bool) -> None:
        """The scheduled broadcast ran; ``sent``: it gave some client new counts (the interval starts again)."""
        self.due_at = None
        if sent:
            self.sent_at = now


class StreamPresence:
    """One stream's presence on the hub's loop: every method runs there."""

    def __init__(self, fanout: FanOut, interval: float = INTERVAL) -> None:
        self.fanout = fanout
        self.clock = PresenceClock(interval)

    def changed(self) -> None:
        """A client joined or left the stream."""
        loop = asyncio.get_running_loop()
        delay = self.clock.changed(loop.time())
        if delay is not None:
            # Even with no delay, later in this loop iteration: joins arriving together go out as one.
            loop.call_later(delay, self._broadcast)

    def _broadcast(self) -> None:
        counts = count(self.fanout.sessions)
        sent = self.fanout.broadcast_presence(counts.viewers, counts.controllers)
        self.clock.fired(asyncio.get_running_loop().time(), sent)
