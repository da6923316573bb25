"""Whether an edge hears from its producer, and when its stream is over (sans-I/O).

The producer writes an entry for everything it shows and, while it shows
nothing, a heartbeat every :data:`~glyphcast_redis.entries.HEARTBEAT_INTERVAL`;
on an orderly stop it writes ``end``. So an edge that hears nothing for
``stall_after`` seconds knows the producer is gone (killed, frozen, cut off
from Redis) even though nobody said so. :class:`Liveness` turns what the edge
heard, and when, into what its viewers are told (protocol v1.2 ``producer``):

- "live": an entry of the producer's arrived within ``stall_after``;
- "stalled": none did, or the producer's last word was ``end``; the last
  screen stays up, and anything the producer writes makes it "live" again (a
  restarted producer, a new run);
- "reconnecting": Redis itself does not answer, so nothing can be said about
  the producer; this never ends the stream (a broker outage only degrades).
  Once Redis answers, the producer has ``stall_after`` to be heard.

``end_after`` seconds into a stall the stream is :meth:`over <Liveness.over>`
(0: never), with the producer's own reason when it said ``end``; a stream of
which the edge has had nothing yet (no producer ever seen) is never over.
The caller says what time it is (``now``, seconds on any monotonic clock), so
tests run the rules on a clock of their own.
"""

from __future__ import annotations

from glyphcast.protocol import PRODUCER_LIVE, PRODUCER_RECONNECTING, PRODUCER_STALLED, ProducerState


class Liveness:
    """An edge's view of its producer: :attr:`state`, and whether the stream is :meth:`over`."""

    def __init__(self, stall_after: float, end_after: float, now: float) -> None:
        self.stall_after = stall_after
        self.end_after = end_after
        self.state: ProducerState = PRODUCER_LIVE
        #: When the producer was last heard from (or the clock started again: the start, Redis back).
        self.heard_at = now
        #: When the current stall began; None unless stalled.
        self.stalled_at: float | None = None
        #: The producer's reason, when its last word was ``end``.
        self.said: str | None = None
        #: Whether the edge has had anything of the producer's (a stream that never began does not end).
        self.begun = False
        #: Redis answers again after an outage, and the producer has not been heard since.
        self._recovering = False

    def heard(self, now: float) -> None:
        """An entry of the producer's arrived (a frame, a delta, a clear, a heartbeat)."""
        self.state, self.heard_at, self.stalled_at, self.said = PRODUCER_LIVE, now, None, None
        self.begun, self._recovering = True, False

    def shown(self) -> None:
        """The edge shows something of the producer's (read back from the stream, perhaps long after)."""
        self.begun = True

    def said_end(self, now: float, reason: str) -> None:
        """The producer's ``end``: it stopped, so it is not heard from; the grace starts now."""
        self.state, self.stalled_at, self.said, self.begun = PRODUCER_STALLED, now, reason, True

    def unreachable(self, now: float) -> None:
        """Redis does not answer."""
        self.state, self.stalled_at, self._recovering = PRODUCER_RECONNECTING, None, False

    def reachable(self, now: float) -> None:
        """Redis answers again: the producer has ``stall_after`` from now to be heard."""
        if self.state == PRODUCER_RECONNECTING:
            self.heard_at, self._recovering = now, True

    def update(self, now: float) -> ProducerState:
        """The state at ``now``: silence of ``stall_after`` after the last word is a stall."""
        if (self.state == PRODUCER_LIVE or self._recovering) and now - self.heard_at >= self.stall_after:
            self.state, self.stalled_at, self._recovering = (
                PRODUCER_STALLED,
                self.heard_at + self.stall_after,
                False,
            )
        return self.state

    def over(self, now: float) -> bool:
        """Whether the stream has ended: ``end_after`` seconds into a stall, once it has begun."""
        self.update(now)
        return (
            self.end_after > 0
            and self.begun
            and self.stalled_at is not None
            and now - self.stalled_at >= self.end_after
        )

    @property
    def reason(self) -> str:
        """What viewers are told with ``end`` when the stream is over."""
        if self.said is not None:
            return self.said
        return f"the producer went silent (nothing heard from it for {self.stall_after + self.end_after:g} s)"


__all__ = ["Liveness"]
