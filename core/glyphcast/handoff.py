"""Handing frames from the engine's thread to a display's worker: the two ways glyphcast has.

- :class:`LatestSlot`, for live views (a terminal, a browser): one item, a new
  ``put()`` replaces an item the worker has not taken yet (latest wins), so memory
  stays O(1) and the engine never waits on a slow consumer; skipped items are
  counted.
- :class:`LosslessQueue`, for recordings: every item is kept, in order, up to a
  bound; only when the consumer is a whole bound behind does ``put()`` wait for
  room (each wait counted), because losing a frame is worse than a slow engine.

Both are closed by the producer's side (``close()``: the consumer still gets what
was handed over, then ``None``) and wake a consumer blocked in ``take()``.

Besides frames, a display hands its worker the engine's two other events, in
order with the frames: :class:`Cleared` and :class:`Ended`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Generic, TypeVar

from glyphcast.frame import Frame

T = TypeVar("T")


class Cleared:
    """The engine blanked the screen after frame ``seq`` (0: before any frame)."""

    __slots__ = ("seq",)

    def __init__(self, seq: int) -> None:
        self.seq = seq


class Ended:
    """The source ended for ``reason`` after ``final``, the newest frame shown (None: none since the last
    clear), carried with the end so that a :class:`LatestSlot`'s latest-wins never loses it."""

    __slots__ = ("final", "reason")

    def __init__(self, final: Frame | None, reason: str) -> None:
        self.final = final
        self.reason = reason


class LatestSlot(Generic[T]):
    """A one-item mailbox: ``put()`` never blocks and overwrites; ``take()`` waits for an item.

    Typical worker loop::

        while (frame := slot.take()) is not None:
            write(frame)

    ``close()`` wakes the worker; an item put before ``close()`` is still taken
    once, then ``take()`` returns None.
    """

    def __init__(self) -> None:
        # put() runs on the engine's thread every frame, so its common path takes no
        # lock: it relies on the GIL running each bytecode step whole and in order.
        # The order of the steps is what makes it safe (see put/take_nowait), and
        # a worker blocked in take() is woken under the Condition, as usual.
        self._ready = threading.Condition()
        self._waiting = 0
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
        if self._closed:
            return False
        self._item = item  # 1. the item, before it is announced
        was_full = self._full
        self._full = True  # 2. announced
        if was_full:
            self.dropped += 1
        if self._waiting:  # 3. a worker waits (or is about to) in take(): wake it
            with self._ready:
                self._ready.notify()
        return not was_full

    def take(self, timeout: float | None = None) -> T | None:
        """The newest item, waiting up to ``timeout`` seconds; None once closed and empty (or timed out)."""
        with self._ready:
            self._waiting += 1  # before looking: a put() after this sees it and notifies
            try:
                self._ready.wait_for(lambda: self._full or self._closed, timeout)
            finally:
                self._waiting -= 1
            return self.take_nowait()

    def take_nowait(self) -> T | None:
        """The newest item, or None if there is none; never waits (for event-loop consumers).

        The slot is marked empty before the item is read, so an item put in
        between is either the one read here or announced with a new wake-up
        (then this item may be read twice: consumers skip an item they already have).
        """
        if not self._full:
            return None
        self._full = False
        item = self._item
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


class LosslessQueue(Generic[T]):
    """A bounded first-in first-out queue that never drops an item.

    ``put()`` is O(1) while fewer than ``bound`` items wait; at the bound it
    waits until the consumer takes one (``waits`` and ``wait_seconds`` count
    those waits, so a display can report "the disk is too slow").
    Typical worker loop::

        while (item := queue.take()) is not None:
            write(item)

    Ending it:

    - ``close()`` (the producer is done): ``put()`` refuses new items, the
      consumer takes every item already queued, then ``take()`` returns None.
    - ``abandon()`` (the consumer gave up, e.g. the disk failed): the queued
      items are dropped and a producer waiting for room is woken; ``put()``
      returns False from then on.
    """

    def __init__(self, bound: int) -> None:
        if bound < 1:
            raise ValueError(f"a LosslessQueue needs a bound of at least 1, not {bound}")
        self.bound = bound
        self._items: deque[T] = deque()
        lock = threading.Lock()
        self._not_empty = threading.Condition(lock)  # the consumer waits on this
        self._not_full = threading.Condition(lock)  # a producer at the bound waits on this
        self._closed = False
        #: How many times ``put()`` had to wait for room, and for how long in total.
        self.waits = 0
        self.wait_seconds = 0.0

    def put(self, item: T) -> bool:
        """Queue ``item``; at the bound, wait for room. False (item refused) once closed or abandoned."""
        with self._not_full:
            if self._closed:
                return False
            if len(self._items) >= self.bound:
                self.waits += 1
                began = time.perf_counter()
                self._not_full.wait_for(lambda: len(self._items) < self.bound or self._closed)
                self.wait_seconds += time.perf_counter() - began
                if self._closed:
                    return False
            self._items.append(item)
            self._not_empty.notify()
            return True

    def take(self, timeout: float | None = None) -> T | None:
        """The oldest item, waiting up to ``timeout`` seconds.

        None when it timed out, or when the queue is closed and every item was
        taken (then :attr:`drained` is True).
        """
        with self._not_empty:
            self._not_empty.wait_for(lambda: bool(self._items) or self._closed, timeout)
            if not self._items:
                return None
            item = self._items.popleft()
            self._not_full.notify()
            return item

    def close(self) -> None:
        """The producer is done: refuse new items; the consumer still takes the queued ones."""
        with self._not_empty:
            self._closed = True
            self._not_empty.notify_all()
            self._not_full.notify_all()

    def abandon(self) -> int:
        """The consumer is done: close, drop the queued items and wake a waiting producer. Returns how many were dropped."""
        with self._not_empty:
            self._closed = True
            dropped = len(self._items)
            self._items.clear()
            self._not_empty.notify_all()
            self._not_full.notify_all()
            return dropped

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def drained(self) -> bool:
        """Closed and empty: ``take()`` will never return an item again."""
        with self._not_empty:
            return self._closed and not self._items

    def __len__(self) -> int:
        """How many items wait to be taken."""
        return len(self._items)
