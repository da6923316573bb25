"""Driving a :class:`~glyphcast.Source` into a :class:`~glyphcast.Displays` at the right times.

The runner decides *when* each cue is due and *what* it does to the stream; the
clock and the wait are injected (``clock``, ``wait``), so tests run it on a fake
clock without sleeping. Due times are computed from a fixed anchor (``anchor +
k / fps``), never by adding up sleeps, so pacing does not drift.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from glyphcast.protocol import ProducerState
from glyphcast.source import Cue, ResizableFromAnyThread, ResizableSource

log = logging.getLogger("glyphcast")

#: Falling further behind than this (a stalled terminal, a suspended process)
#: re-anchors the schedule instead of bursting every missed frame at once.
MAX_LAG = 1.0


class Target(Protocol):
    """What the runner drives: a :class:`~glyphcast.Displays` (or any display with these)."""

    def init(self, width: int, height: int, reuse: bool = False) -> None: ...

    def show(
        self,
        buffer: list[str],
        border: bool = False,
        cursor: tuple[int, int] | None = None,
        *,
        seq: int | None = None,
        ts: float | None = None,
    ) -> None: ...

    def clear(self) -> None: ...

    def marker(self, label: str) -> None: ...

    def producer(self, state: ProducerState) -> None: ...


@dataclass(slots=True)
class RunStats:
    """How a run went; ``ended`` is "frames", "duration", "source" or "stopped"."""

    frames: int = 0
    started: float = 0.0
    elapsed: float = 0.0
    ended: str = ""

    @property
    def fps(self) -> float:
        return self.frames / self.elapsed if self.elapsed > 0 else 0.0


class Runner:
    """Plays ``source`` into ``target``.

    Cues with ``at=None`` are paced at ``fps``; cues with ``at`` are shown ``at``
    seconds after the start. The run ends after ``frames`` frames, after
    ``duration`` seconds, when the source ends, or when :meth:`stop` is called
    (from any thread). ``tick(stats)`` is called after every frame and at least
    every ``tick_interval`` seconds while waiting (for a status line).

    :meth:`request_resize` (from any thread: a controller's ``resize`` arrives on
    the hub's) is applied on the runner's own thread between frames: a source
    with a ``resize(width, height)`` method (the demo) is resized and the target
    re-initialised, so the next frame has the new size; other sources keep
    their size and the request is logged as refused (see :meth:`can_resize`).
    """

    def __init__(
        self,
        source: Iterable[Cue],
        target: Target,
        *,
        fps: float = 30.0,
        frames: int | None = None,
        duration: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[float], bool] | None = None,
        tick: Callable[[RunStats], None] | None = None,
        tick_interval: float = 0.5,
    ) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, not {fps}")
        self.source = source
        self.target = target
        self.fps = fps
        self.frames = frames
        self.duration = duration
        self.clock = clock
        self._stopping = threading.Event()
        # wait(seconds) returns True when the run should stop; the default wakes early on stop().
        self._wait = wait or self._stopping.wait
        self.tick = tick
        self.tick_interval = tick_interval
        self.stats = RunStats()
        self._pending_size: tuple[int, int] | None = None

    def stop(self) -> None:
        """End the run at the next cue (or during the current wait)."""
        self._stopping.set()

    @property
    def can_resize(self) -> bool:
        """Whether the source follows a new size (a :class:`~glyphcast.source.ResizableSource`)."""
        return isinstance(self.source, ResizableSource)

    def request_resize(self, width: int, height: int) -> bool:
        """Ask for a new size from any thread; applied after the next frame. False if the source can't.

        A source whose ``resize`` may be called from any thread (a
        :class:`~glyphcast.source.ResizableFromAnyThread`, the pty source: it wakes its own loop,
        and its next cue carries the size) is resized at once, so an idle program need not print
        something first.
        """
        source = self.source
        if not isinstance(source, ResizableSource):
            log.warning(
                "a controller asked for %dx%d: source %s keeps its own size, request ignored",
                width,
                height,
                type(self.source).__name__,
            )
            return False
        if isinstance(source, ResizableFromAnyThread) and source.resizes_from_any_thread:
            source.resize(width, height)
            return True
        self._pending_size = (width, height)  # one assignment: the newest request wins
        return True

    def _apply_pending_resize(self) -> None:
        size, self._pending_size = self._pending_size, None
        if size is None or not isinstance(self.source, ResizableSource):
            return
        self.source.resize(*size)
        self.target.init(size[0], size[1], reuse=True)

    # -- the schedule (pure) ------------------------------------------------
    def due(self, cue: Cue, anchor: float, paced: int) -> float:
        """When ``cue`` is due: at its own time, or ``paced`` frame intervals after ``anchor``."""
        if cue.at is not None:
            return self.stats.started + cue.at
        return anchor + paced / self.fps

    # -- the loop -----------------------------------------------------------
    def run(self) -> RunStats:
        """Play until an end condition; returns the stats (``ended`` says why)."""
        stats = self.stats
        stats.started = self.clock()
        anchor, paced = stats.started, 0
        deadline = None if self.duration is None else stats.started + self.duration
        stats.ended = "source"
        if self.frames is not None and self.frames <= 0:
            stats.ended = "frames"
            return stats
        for cue in self.source:
            due = self.due(cue, anchor, paced)
            if deadline is not None and due > deadline:
                self._sleep_until(deadline)
                stats.ended = "duration" if not self._stopping.is_set() else "stopped"
                break
            if not self._sleep_until(due):
                stats.ended = "stopped"
                break
            now = self.clock()
            if cue.at is not None:
                # The next paced cue follows this timed one by one frame interval.
                anchor, paced = due, 1
            elif now - due > MAX_LAG:
                anchor, paced = now, 1
            else:
                paced += 1
            self.apply(cue)
            if cue.rows is not None:
                stats.frames += 1
                stats.elapsed = self.clock() - stats.started
                if self.tick is not None:
                    self.tick(stats)
                if self.frames is not None and stats.frames >= self.frames:
                    stats.ended = "frames"
                    break
            # Between frames, on this thread, before the source builds its next cue: at the new size.
            if self._pending_size is not None:
                self._apply_pending_resize()
        stats.elapsed = self.clock() - stats.started
        return stats

    def apply(self, cue: Cue) -> None:
        """Do what one cue says to the target: the producer's state, resize, clear, mark, then show."""
        if cue.producer is not None:
            self.target.producer(cue.producer)
        if cue.size is not None:
            self.target.init(cue.size[0], cue.size[1], reuse=True)
        if cue.clear:
            self.target.clear()
        if cue.marker is not None:
            self.target.marker(cue.marker)
        if cue.rows is not None:
            if cue.seq is not None:  # a relayed frame: it keeps its producer's number and time
                self.target.show(list(cue.rows), cursor=cue.cursor, seq=cue.seq, ts=cue.ts)
            elif cue.cursor is None:
                self.target.show(list(cue.rows))
            else:
                self.target.show(list(cue.rows), cursor=cue.cursor)

    def _sleep_until(self, when: float) -> bool:
        """Wait until ``when`` (waking for ticks); False if the run was stopped meanwhile."""
        while True:
            if self._stopping.is_set():
                return False
            remaining = when - self.clock()
            if remaining <= 0:
                return True
            if self._wait(min(remaining, self.tick_interval)):
                return False
            if self.tick is not None and when - self.clock() > 0:
                self.stats.elapsed = self.clock() - self.stats.started
                self.tick(self.stats)
