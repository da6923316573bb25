"""When a changed screen becomes a frame (sans-I/O: times in, decisions out).

A program's output arrives in bursts: a keystroke's echo, a redraw, a flood.
The rules, for ``fps`` frames per second at most:

- Once output goes quiet (nothing more to read), the screen is shown at once,
  or as soon as one frame interval has passed since the last frame.
- While output keeps coming, the screen is shown one frame interval after it
  first changed: a flood gets ``fps`` frames a second, not one per read.
- Nothing changed, nothing due: the caller may block without a timeout.

So a keystroke's echo reaches viewers within one frame interval, usually at
once, and a program that prints nothing costs no frames and no wake-ups.
"""

from __future__ import annotations

import math


class Pacer:
    """Decides, from the times the screen changed and frames were shown, when the next frame is due."""

    def __init__(self, fps: float) -> None:
        if not fps > 0 or math.isinf(fps):
            raise ValueError(f"fps must be a positive number, not {fps}")
        self.interval = 1.0 / fps
        self._last_shown = -math.inf
        self._changed_at: float | None = None

    @property
    def pending(self) -> bool:
        """Whether the screen changed since the last frame."""
        return self._changed_at is not None

    def changed(self, now: float) -> None:
        """The screen changed at ``now`` (a frame is owed)."""
        if self._changed_at is None:
            self._changed_at = now

    def timeout(self, now: float) -> float | None:
        """How long the caller may wait for more output before a frame is due; None: wait forever."""
        if self._changed_at is None:
            return None
        return max(0.0, self._last_shown + self.interval - now)

    def due_when_quiet(self, now: float) -> bool:
        """Output went quiet: show the screen if it changed and the last frame is an interval old."""
        return self._changed_at is not None and now >= self._last_shown + self.interval

    def due_while_busy(self, now: float) -> bool:
        """More output is coming: show the screen only once it has waited a whole interval."""
        return (
            self._changed_at is not None
            and now >= self._changed_at + self.interval
            and now >= self._last_shown + self.interval
        )

    def shown(self, now: float) -> None:
        """A frame went out at ``now``."""
        self._last_shown = now
        self._changed_at = None
