"""Frames and deltas: the immutable snapshots that flow from an engine to displays.

Pure data, no I/O. A frame is cheap to compare row by row (string equality is
C-speed), and the difference between two frames is the list of changed rows.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass


def now_ms() -> float:
    """Wall-clock milliseconds, the unit of ``Frame.ts`` and the wire protocol's ``ts``."""
    return time.time() * 1000.0


@dataclass(frozen=True, slots=True)
class Frame:
    """One screen: ``height`` rows of text (ANSI SGR allowed) ``width`` cells wide.

    ``seq`` increases by one per frame within a stream; ``ts`` is the wall clock
    in milliseconds when the engine showed the frame. ``cursor`` is where a
    terminal program's cursor is, ``(col, row)`` 0-based, or None for no cursor
    (engines draw without one; a program may hide it).
    """

    rows: tuple[str, ...]
    width: int
    height: int
    seq: int
    ts: float
    cursor: tuple[int, int] | None = None

    @classmethod
    def from_buffer(
        cls,
        buffer: Sequence[str],
        width: int,
        height: int,
        seq: int,
        ts: float | None = None,
        cursor: tuple[int, int] | None = None,
    ) -> Frame:
        """Build a frame from an engine buffer, padding or cutting it to ``height`` rows."""
        rows = tuple(buffer[:height])
        if len(rows) < height:
            rows += ("",) * (height - len(rows))
        return cls(rows, width, height, seq, now_ms() if ts is None else ts, cursor)

    def same_shape(self, other: Frame) -> bool:
        return self.width == other.width and self.height == other.height

    def changed_rows(self, base: Frame | None) -> list[int]:
        """Indexes of the rows that differ from ``base`` (every row if the shapes differ)."""
        if base is None or not self.same_shape(base):
            return list(range(self.height))
        return [i for i, (old, new) in enumerate(zip(base.rows, self.rows, strict=False)) if old != new]

    def delta(self, base: Frame) -> Delta:
        """The delta that turns ``base`` into this frame."""
        if not self.same_shape(base):
            raise ValueError(
                f"no delta across a resize ({base.width}x{base.height} -> "
                f"{self.width}x{self.height}); send a full frame"
            )
        changed = tuple((i, self.rows[i]) for i in self.changed_rows(base))
        return Delta(self.seq, base.seq, self.ts, self.width, self.height, changed, self.cursor)


@dataclass(frozen=True, slots=True)
class Delta:
    """The rows that changed between frame ``base`` and frame ``seq``, and frame ``seq``'s cursor.

    The cursor is whole, not a change: a delta whose rows are empty still moves it.
    """

    seq: int
    base: int
    ts: float
    width: int
    height: int
    rows: tuple[tuple[int, str], ...]
    cursor: tuple[int, int] | None = None

    def apply(self, base: Frame) -> Frame:
        """Rebuild frame ``seq`` from frame ``base``; refuses any other base."""
        if base.seq != self.base:
            raise ValueError(f"delta {self.seq} applies to frame {self.base}, not {base.seq}")
        rows = list(base.rows)
        for index, line in self.rows:
            rows[index] = line
        return Frame(tuple(rows), self.width, self.height, self.seq, self.ts, self.cursor)
