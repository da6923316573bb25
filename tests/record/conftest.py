"""Helpers for the record/replay tests: what a frame looks like on a screen, cell by cell,
running a source into displays without sleeping, and the real asciinema CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyte
import pytest
from glyphcast import Stream
from glyphcast.runner import Runner

DATA = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parents[2]

Cell = tuple[Any, ...]


BLANK: Cell = tuple(pyte.screens.Char(" "))


def visible(cell: pyte.screens.Char) -> Cell:
    """A cell as it looks: of a space with nothing drawn across it only the background
    shows, not the foreground or the weight (replay drops such trailing blanks, and
    terminals erase with the background alone)."""
    if cell.data == " " and not (cell.underscore or cell.strikethrough or cell.reverse):
        return tuple(cell._replace(fg="default", bold=False, italics=False, blink=False))
    return tuple(cell)


def row_cells(row: str, width: int) -> list[Cell]:
    """The cells one row occupies on a terminal ``width`` wide: (char, fg, bg, bold, italics, ...).

    Each row is drawn on its own fresh one-line pyte screen, so this reading of
    "what the engine showed" shares no code or escape sequences with the recorder
    or with replay's emulator.
    """
    screen = pyte.Screen(width, 1)
    pyte.Stream(screen).feed(row)
    return [visible(screen.buffer[0][x]) for x in range(width)]


def stream_cells(rows: Sequence[str], width: int, height: int) -> list[list[Cell]]:
    """Every cell after writing ``rows`` to one fresh pyte screen, CRLF between them: how to
    read rows whose SGR state carries over from row to row (tmux's ``capture-pane -e``)."""
    screen = pyte.Screen(width, height)
    pyte.Stream(screen).feed("\r\n".join(rows[:height]))
    return screen_cells(screen)


def frame_cells(rows: Sequence[str], width: int, height: int) -> list[list[Cell]]:
    """Every cell of a frame; missing rows are blank."""
    return [row_cells(rows[y] if y < len(rows) else "", width) for y in range(height)]


def screen_cells(screen: pyte.Screen) -> list[list[Cell]]:
    """Every cell of a pyte screen (after feeding it a whole recording, say)."""
    return [[visible(screen.buffer[y][x]) for x in range(screen.columns)] for y in range(screen.lines)]


def first_difference(a: list[list[Cell]], b: list[list[Cell]]) -> str:
    """Where two screens differ, for assertion messages."""
    if len(a) != len(b):
        return f"{len(a)} rows vs {len(b)} rows"
    for y, (ra, rb) in enumerate(zip(a, b, strict=True)):
        for x, (ca, cb) in enumerate(zip(ra, rb, strict=False)):
            if ca != cb:
                return f"row {y} col {x}: {ca} != {cb}"
        if len(ra) != len(rb):
            return f"row {y}: {len(ra)} cells vs {len(rb)}"
    return "no difference"


class FakeClock:
    """A clock the runner can "wait" on without sleeping: waiting moves time forward."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waited = 0.0

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.now += seconds
        self.waited += seconds
        return False


def play(
    source: Iterable[Any], stream: Stream, *, frames: int | None = None, clock: FakeClock | None = None
) -> Any:
    """Run ``source`` into ``stream`` with core's Runner on a fake clock (no sleeping)."""
    clock = clock or FakeClock()
    width, height = getattr(source, "width", 80), getattr(source, "height", 24)
    stream.init(width, height)
    runner = Runner(source, stream, frames=frames, clock=clock, wait=clock.wait)
    return runner.run()


def asciinema() -> str:
    """The asciinema 2.x CLI installed next to this Python (the record tox env installs it)."""
    exe = Path(sys.executable).with_name("asciinema")
    found = str(exe) if exe.exists() else shutil.which("asciinema")
    if found is None:
        pytest.fail(
            "the asciinema CLI is not installed: pip install 'asciinema>=2.4,<3' (tox -e record does)"
        )
    return found


def asciinema_cat(path: Path) -> str:
    """What ``asciinema cat`` writes for a recording (its "o" output, concatenated)."""
    done = subprocess.run(
        [asciinema(), "cat", str(path)], capture_output=True, stdin=subprocess.DEVNULL, timeout=30
    )
    assert done.returncode == 0, (
        f"asciinema cat {path} failed: {done.stderr.decode(errors='replace')[-2000:]}"
    )
    return done.stdout.decode("utf-8")


def glyphcast_cli() -> list[str]:
    exe = Path(sys.executable).with_name("glyphcast")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "glyphcast"]


def event_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every record test stops within a minute, even if a subprocess or a pipe hangs."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(60))
