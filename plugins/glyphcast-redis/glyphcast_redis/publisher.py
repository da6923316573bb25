"""What the ``redis`` display writes to Redis for what the engine did: keyframe or delta, clear, end.

Sans-I/O: :class:`Publisher` turns the engine's frames, clears and end into
entry messages (:mod:`.entries`), and is told when Redis did not take them;
the display's worker does the writing. The rules:

- a delta is always computed from the last frame Redis *took*, so a reader
  that follows the entries in order rebuilds every frame exactly;
- a keyframe when there is no such frame (the first one, after a clear, after
  frames were dropped, after Redis failed), on a size change, and at least
  every ``keyframe_interval`` seconds and every ``keyframe_entries`` entries,
  so a reader joining late (or a trimmed stream) never waits long for one;
- after a failure, :meth:`resume` says what to write when Redis is back: the
  newest screen as a keyframe (or the clear), and the end if there was one;
- while the engine shows nothing, :meth:`idle` says what proves the producer
  is still there: a heartbeat (a few bytes), and every ``keyframe_entries``
  entries the screen as a keyframe instead, so a capped stream that an idle
  producer fills with heartbeats still holds a place to start from;
  nothing once the stream ended.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from glyphcast import Frame
from glyphcast.handoff import Cleared, Ended

from glyphcast_redis import entries

Event = Frame | Cleared | Ended


class Publisher:
    """Decides the entries for one producer run (``run``: its random id)."""

    def __init__(self, run: str, keyframe_interval: float = 2.0, keyframe_entries: int = 256) -> None:
        self.run = run
        self.keyframe_interval = keyframe_interval
        self.keyframe_entries = max(1, keyframe_entries)
        #: The newest frame the engine showed (None before the first one and after a clear).
        self.screen: Frame | None = None
        self._cleared_seq: int | None = None
        #: The base of the next delta: the newest frame whose entry Redis took (None: next is a keyframe).
        self._base: Frame | None = None
        self._keyframe_at = -math.inf
        self._since_keyframe = 0
        self.ended: Ended | None = None
        self.keyframes = 0
        self.deltas = 0

    def plan(self, events: Iterable[Event], now: float, gap: bool = False) -> list[dict[str, Any]]:
        """The messages for ``events``, in order; ``gap``: frames were dropped before them."""
        if gap:
            self._base = None
        messages: list[dict[str, Any]] = []
        for event in events:
            if self.ended is not None:
                break  # nothing follows an end
            if isinstance(event, Frame):
                messages.append(self._frame(event, now))
            elif isinstance(event, Cleared):
                self.screen, self._base, self._cleared_seq = None, None, event.seq
                messages.append(entries.clear(event.seq, self.run))
            else:
                final = event.final
                if final is not None and final is not self.screen:
                    messages.append(self._frame(final, now))
                self.ended = event
                messages.append(entries.end(self._last_seq(), event.reason, self.run))
        return messages

    def note(self, events: Iterable[Event]) -> None:
        """Take ``events`` in without writing them (Redis is away): :meth:`resume` then writes where they left off."""
        for event in events:
            if self.ended is not None:
                return
            if isinstance(event, Frame):
                self.screen = event
            elif isinstance(event, Cleared):
                self.screen, self._cleared_seq = None, event.seq
            else:
                if event.final is not None:
                    self.screen = event.final
                self.ended = event

    def failed(self) -> None:
        """Redis did not take the last messages (or not all of them): start again with a keyframe."""
        self._base = None

    def resume(self, now: float) -> list[dict[str, Any]]:
        """What to write when Redis is back and nothing newer came: the screen as it is now and the end, or
        (nothing shown yet) a heartbeat, so Redis is tried again and edges hear the producer."""
        messages: list[dict[str, Any]] = []
        if self.screen is not None:
            messages.append(self._frame(self.screen, now))
        elif self._cleared_seq is not None:
            messages.append(entries.clear(self._cleared_seq, self.run))
        if self.ended is not None:
            messages.append(entries.end(self._last_seq(), self.ended.reason, self.run))
        return messages or [entries.heartbeat(self._last_seq(), self.run)]

    def idle(self, now: float) -> list[dict[str, Any]]:
        """What to write after :data:`~glyphcast_redis.entries.HEARTBEAT_INTERVAL` without an entry: a heartbeat,
        or (every ``keyframe_entries`` entries) the screen again as a keyframe; nothing after the end."""
        if self.ended is not None:
            return []
        if self._since_keyframe >= self.keyframe_entries:
            if self.screen is not None:
                return [self._frame(self.screen, now)]
            if self._cleared_seq is not None:  # a clear is a place to start from too
                self._since_keyframe = 0
                return [entries.clear(self._cleared_seq, self.run)]
        self._since_keyframe += 1
        return [entries.heartbeat(self._last_seq(), self.run)]

    def _last_seq(self) -> int:
        if self.screen is not None:
            return self.screen.seq
        return self._cleared_seq or 0

    def _frame(self, frame: Frame, now: float) -> dict[str, Any]:
        base = self._base
        self.screen = self._base = frame
        if (
            base is None
            or not base.same_shape(frame)
            or now - self._keyframe_at >= self.keyframe_interval
            or self._since_keyframe >= self.keyframe_entries
        ):
            self._keyframe_at, self._since_keyframe = now, 0
            self.keyframes += 1
            return entries.keyframe(frame, self.run)
        self._since_keyframe += 1
        self.deltas += 1
        return entries.delta(frame, base, self.run)
