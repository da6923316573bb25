"""Built-in displays with no I/O: ``null`` (discards) and ``memory`` (keeps frames)."""

from __future__ import annotations

import threading
from collections import deque

from glyphcast.display import FrameDisplay
from glyphcast.frame import Frame


class NullDisplay(FrameDisplay):
    """Discards every frame: the cost floor, for benchmarks."""

    def deliver(self, frame: Frame) -> None:
        pass


class MemoryDisplay(FrameDisplay):
    """Keeps the frames it is shown (the last ``limit``, or all if limit is 0). For tests."""

    def __init__(self, width: int = 80, height: int = 24, limit: int = 0) -> None:
        super().__init__(width, height)
        self.frames: deque[Frame] = deque(maxlen=limit or None)
        self.clears = 0
        self.markers: list[str] = []
        #: The reasons ``end()`` was called with (the source ended).
        self.ended: list[str] = []
        self.changed = threading.Condition()

    def deliver(self, frame: Frame) -> None:
        with self.changed:
            self.frames.append(frame)
            self.changed.notify_all()

    def clear(self) -> None:
        self.clears += 1

    def marker(self, label: str) -> None:
        self.markers.append(label)

    def end(self, reason: str) -> None:
        self.ended.append(reason)

    @property
    def last(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Block until at least ``count`` frames were shown (for tests driving another thread)."""
        with self.changed:
            return self.changed.wait_for(lambda: len(self.frames) >= count, timeout)
