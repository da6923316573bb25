"""Presence (protocol v1.1): how many clients watch a stream, and how many of them control it.

A stream broadcasts ``presence`` {viewers, controllers} to its clients when a
client joins or leaves, at most once per :data:`INTERVAL`, latest-wins: a
client whose socket is full gets only the newest counts, and a client is sent
counts only when they differ from the last ones it was given (a client that
joins and leaves within the interval changes nothing for the others).

Sans-I/O: :class:`PresenceSchedule` decides when, given the time; the room
(:meth:`.named_stream.NamedStream.join`) keeps at most one timer per stream on its clock
(none while nothing changes): never a timer per client, never polling.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from glyphcast.protocol import ROLE_CONTROLLER

#: Seconds between two presence broadcasts of one stream, at least.
INTERVAL = 1.0


@dataclass(frozen=True, slots=True)
class Counts:
    """``viewers``: every client of the stream, controllers included; ``controllers``: those with that role."""

    viewers: int
    controllers: int


def count(roles: Iterable[str]) -> Counts:
    """The counts of a stream whose clients have ``roles``."""
    viewers = controllers = 0
    for role in roles:
        viewers += 1
        controllers += role == ROLE_CONTROLLER
    return Counts(viewers, controllers)


class PresenceSchedule:
    """When a stream's next presence broadcast is due: the caller says what time it is (any monotonic clock)."""

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
