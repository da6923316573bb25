"""Handing frames from the engine's thread to a display's worker without ever blocking the engine.

A live view only ever needs the newest frame: :class:`LatestSlot` holds one item,
a new ``put()`` replaces an item the worker has not taken yet (latest wins), so
memory stays O(1) and the producer never waits on a slow consumer.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """A one-item mailbox: ``put()`` never blocks and overwrites; ``take()`` waits for an item.

    Typical worker loop::

        while (frame := slot.take()) is not None:
            write(frame)

    ``close()`` wakes the worker; an item put before ``close()`` is still taken
    once, then ``take()`` returns None.
    """

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._item: T | None = None
        self._full = False
        self._closed = False
        #: Items overwritten before the worker took them (frames a slow consumer skipped).
        self.dropped = 0

    def put(self, item: T) -> bool:
        """Offer ``item``, replacing any item not taken yet. O(1), never waits on the consumer.

        Returns True when the slot was empty: a consumer that is not blocked in
        :meth:`take` (an event loop) needs one wake-up for it, and only one,
        however many items replace it before it runs.
        """
        with self._ready:
            if self._closed:
                return False
            was_full = self._full
            if was_full:
                self.dropped += 1
            self._item = item
            self._full = True
            self._ready.notify()
            return not was_full

    def take(self, timeout: float | None = None) -> T | None:
        """The newest item, waiting up to ``timeout`` seconds; None once closed and empty (or timed out)."""
        with self._ready:
            self._ready.wait_for(lambda: self._full or self._closed, timeout)
            if not self._full:
                return None
            item = self._item
            self._item = None
            self._full = False
            return item

    def take_nowait(self) -> T | None:
        """The newest item, or None if there is none; never waits (for event-loop consumers)."""
        with self._ready:
            if not self._full:
                return None
            item = self._item
            self._item = None
            self._full = False
            return item

    def close(self) -> None:
        """Refuse further items and wake the consumer."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> bool:
        """Whether an item is waiting to be taken."""
        return self._full
