"""Registers ``example-upper``, a display that keeps the newest frame and, on cleanup, writes it upper-cased
to ``path``; and ``glyphcast example-shout WORD...``, a command."""

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


def add_shout_arguments(parser):
    parser.description = "Print WORDS in capitals: a command that comes with a plugin."
    parser.add_argument("words", nargs="+", metavar="WORD")
    parser.add_argument("--status", type=int, default=0, help="exit with this status")


def shout(args):
    print(" ".join(args.words).upper())
    return args.status


@hookimpl
def register_commands(register):
    register("example-shout", add_shout_arguments, shout, "print words in capitals (example plugin)")
