"""The time that glyphcast waits on, from a clock a test can replace with a fake one.

Code that decides *when* something happens (a presence broadcast, how long a
finished run lingers, a token bucket, a rate-limited log line) reads the time
and waits through a :class:`Clock` that it is given. On :data:`MONOTONIC` it
runs on real time. Its tests hand it a :class:`FakeClock`, whose time moves
only when the test says so: they run at once and give the same result on a
loaded machine as on an idle one.

Waits on I/O (a socket, a pty, a process exiting) stay real. Only time
itself is replaced.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import Protocol

#: How often (real seconds) a thread in :meth:`FakeClock.wait` checks an event set by another thread.
_EVENT_POLL = 0.005


class Timer(Protocol):
    """A callback that :meth:`Clock.call_later` has scheduled."""

    def cancel(self) -> None:
        """Do not call it (no effect once it has run)."""


class Clock(Protocol):
    """Monotonic time, a way to wait on it and a way to be called back later."""

    def now(self) -> float:
        """Seconds from any fixed origin, never going back: for intervals and deadlines, not dates."""

    def wait(self, seconds: float | None, wake: threading.Event | None = None) -> bool:
        """Block this thread for ``seconds`` (None: with no time limit) or until ``wake`` is set.

        Returns True if ``wake`` was set, else False.
        """

    def call_later(self, seconds: float, callback: Callable[[], object]) -> Timer:
        """Call ``callback()`` once, ``seconds`` from now, on whatever thread the clock uses.

        A caller whose state lives on one thread (an event loop) hands the call
        over to that thread itself.
        """


class SystemClock:
    """Real time: :func:`time.monotonic`, :meth:`threading.Event.wait`, :class:`threading.Timer`."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, seconds: float | None, wake: threading.Event | None = None) -> bool:
        return (wake or threading.Event()).wait(seconds)

    def call_later(self, seconds: float, callback: Callable[[], object]) -> Timer:
        """On a daemon thread of its own (an event loop has cheaper timers: see the hub's ``LoopClock``)."""
        timer = threading.Timer(seconds, callback)
        timer.daemon = True
        timer.start()
        return timer


#: The real clock.
MONOTONIC = SystemClock()


class _FakeTimer:
    __slots__ = ("callback", "cancelled", "due")

    def __init__(self, due: float, callback: Callable[[], object]) -> None:
        self.due = due
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """A clock for tests: its time moves only when :meth:`advance` is called.

    :meth:`advance` runs each timer that falls due, in order and on the
    advancing thread, with :meth:`now` at the timer's due time. It also wakes
    the threads whose :meth:`wait` is over. A test learns what the code under
    test is waiting for from :attr:`waiting` and :attr:`timers`, and
    :meth:`until` blocks until the code gets there. A test never has to sleep
    to give the code time to reach a wait::

        clock = FakeClock()
        worker = threading.Thread(target=run, args=(clock,))  # run() calls clock.wait(30)
        worker.start()
        assert clock.until(lambda c: c.waiting == [30.0])
        clock.advance(30)
        worker.join()

    Safe to use from any number of threads.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._changed = threading.Condition()
        self._timers: list[tuple[float, int, _FakeTimer]] = []
        self._order = itertools.count()
        self._waits: dict[int, float | None] = {}

    def now(self) -> float:
        with self._changed:
            return self._now

    def wait(self, seconds: float | None, wake: threading.Event | None = None) -> bool:
        with self._changed:
            deadline = None if seconds is None else self._now + max(seconds, 0.0)
            key = next(self._order)
            self._waits[key] = deadline
            self._changed.notify_all()
            try:
                while True:
                    if wake is not None and wake.is_set():
                        return True
                    if deadline is not None and self._now >= deadline:
                        return False
                    # An event set on another thread does not notify this condition: look again soon.
                    self._changed.wait(_EVENT_POLL if wake is not None else None)
            finally:
                del self._waits[key]
                self._changed.notify_all()

    def call_later(self, seconds: float, callback: Callable[[], object]) -> Timer:
        with self._changed:
            timer = _FakeTimer(self._now + max(seconds, 0.0), callback)
            heapq.heappush(self._timers, (timer.due, next(self._order), timer))
            self._changed.notify_all()
            return timer

    # -- for the test ----------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move time ``seconds`` forward, running the timers that fall due on the way."""
        if seconds < 0:
            raise ValueError(f"a monotonic clock does not go back ({seconds} s)")
        with self._changed:
            target = self._now + seconds
        while True:
            with self._changed:
                while self._timers and self._timers[0][2].cancelled:
                    heapq.heappop(self._timers)
                if not self._timers or self._timers[0][0] > target:
                    self._now = target
                    self._changed.notify_all()
                    return
                due, _, timer = heapq.heappop(self._timers)
                self._now = max(self._now, due)
                self._changed.notify_all()
            timer.callback()  # without the lock: it may read the time or schedule another timer

    @property
    def waiting(self) -> list[float | None]:
        """The deadline of each thread blocked in :meth:`wait` (None: no time limit), in the order they came."""
        with self._changed:
            return list(self._waits.values())

    @property
    def timers(self) -> list[float]:
        """When each timer still to run is due, earliest first."""
        with self._changed:
            return sorted(due for due, _, timer in self._timers if not timer.cancelled)

    def until(self, condition: Callable[[FakeClock], bool], timeout: float = 5.0) -> bool:
        """Block (``timeout`` real seconds at most) until ``condition(clock)`` holds; whether it does.

        The condition is checked again whenever a thread starts or ends a wait
        and whenever a timer is set or time moves. Use it to wait until the
        code under test has reached its wait or set its timer.
        """
        with self._changed:
            return self._changed.wait_for(lambda: condition(self), timeout)


__all__ = ["MONOTONIC", "Clock", "FakeClock", "SystemClock", "Timer"]
