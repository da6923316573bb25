"""Registers ``example-upper``: keeps the newest frame and, on cleanup, writes it upper-cased to ``path``."""

from __future__ import annotations

from pathlib import Path

from glyphcast import Frame, FrameDisplay, hookimpl
from glyphcast.text import strip_ansi


class UpperDisplay(FrameDisplay):
    """Holds only the newest frame (O(1)); the file is written once, when the display stops."""

    def __init__(self, path: Path | None = None, prefix: str = "") -> None:
        super().__init__()
        self.path = path
        self.prefix = prefix
        self.last: Frame | None = None

    def deliver(self, frame: Frame) -> None:
        self.last = frame

    def stop(self) -> None:
        if self.path is not None and self.last is not None:
            rows = [self.prefix + strip_ansi(row).upper().rstrip() for row in self.last.rows]
            self.path.write_text(f"seq {self.last.seq}\n" + "\n".join(rows) + "\n", encoding="utf-8")


@hookimpl
def register_displays(register):
    register("example-upper", UpperDisplay, "upper-cases the last frame into a file (example plugin)")
