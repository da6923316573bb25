"""Handing the engine's frames to the publisher's worker: in order while Redis keeps up, latest-wins when not.

Neither of core's two handoffs fits a broker: a :class:`~glyphcast.handoff.LatestSlot`
would skip frames whenever Redis takes longer than one frame interval (every
skipped frame costs the next delta a keyframe's worth of rows), and a
:class:`~glyphcast.handoff.LosslessQueue` makes the engine wait, which a
display that is only a relay must never do. A :class:`Backlog` keeps every
item in order up to ``bound``; past it, and always while the worker says the
broker is down (:attr:`latest_wins`), a new item replaces everything waiting
and the worker is told that items were dropped (``gap``), so it writes a
keyframe next. ``put()`` never waits on the worker.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Batch(Generic[T]):
    """Everything waiting, in order; ``gap``: items were dropped before these."""

    items: list[T]
    gap: bool


class Backlog(Generic[T]):
    """Items in order up to ``bound``; over it, or in :attr:`latest_wins` mode, the newest replaces the rest."""

    def __init__(self, bound: int) -> None:
        if bound < 1:
            raise ValueError(f"a Backlog needs a bound of at least 1, not {bound}")
        self.bound = bound
        self._items: deque[T] = deque()
        self._ready = threading.Condition()
        self._gap = False
        self._closed = False
        #: The worker sets this while the broker is down: memory stays O(1) and the newest item wins.
        self.latest_wins = False
        #: Items replaced before the worker took them.
        self.dropped = 0

    def put(self, item: T) -> bool:
        """Queue ``item`` without waiting; False once closed."""
        with self._ready:
            if self._closed:
                return False
            if self._items and (self.latest_wins or len(self._items) >= self.bound):
                self.dropped += len(self._items)
                self._items.clear()
                self._gap = True
            self._items.append(item)
            self._ready.notify()
            return True

    def take(self, timeout: float | None = None) -> Batch[T] | None:
        """Everything waiting (after up to ``timeout`` s for something); None once closed and empty."""
        with self._ready:
            self._ready.wait_for(lambda: bool(self._items) or self._closed, timeout)
            if not self._items and self._closed:
                return None
            batch = Batch(list(self._items), self._gap)
            self._items.clear()
            self._gap = False
            return batch

    def close(self) -> None:
        """Refuse new items; the worker still takes what is waiting, then ``take()`` returns None."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._items)
