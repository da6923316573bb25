"""The legacy ``show(buffer, border=True)``: a box around the frame with fps and frame time."""

from __future__ import annotations

import time
from collections.abc import Sequence

from glyphcast.text import fit


class FrameMeter:
    """Frame rate and frame interval from the times ``show()`` is called (smoothed)."""

    def __init__(self, smoothing: float = 0.9) -> None:
        self.smoothing = smoothing
        self.interval_ms = 0.0
        self._last: float | None = None

    def tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            sample = (now - self._last) * 1000.0
            if self.interval_ms:
                self.interval_ms = self.smoothing * self.interval_ms + (1 - self.smoothing) * sample
            else:
                self.interval_ms = sample
        self._last = now

    @property
    def fps(self) -> float:
        return 1000.0 / self.interval_ms if self.interval_ms else 0.0


def render_border(
    buffer: Sequence[str], width: int, height: int, fps: float = 0.0, frame_time: float = 0.0
) -> list[str]:
    """Draw ``buffer`` inside a ``width`` x ``height`` box; the top edge shows fps and frame time.

    The content is cut to the inner (width-2) x (height-2) area. Sizes under 2x2
    leave the buffer as it is: there is no room for a box.
    """
    if width < 2 or height < 2:
        return list(buffer)
    inner = width - 2
    label = f" {fps:.1f} fps {frame_time:.1f} ms "
    if len(label) > inner:
        label = ""
    top = "┌" + label + "─" * (inner - len(label)) + "┐"
    rows = [top]
    for y in range(height - 2):
        line = buffer[y] if y < len(buffer) else ""
        rows.append("│" + fit(line, inner) + "│")
    rows.append("└" + "─" * inner + "┘")
    return rows
