"""The program's cursor (protocol v1.1) in real Chromium, from a real hub.

The test process runs the hub itself (``open_display("websocket", port=0)``)
so it decides every frame's rows and cursor. What the viewer did is read
from xterm: ``buffer.active.cursorX/cursorY`` for the position, and the
cursor cell the renderer drew (``.xterm-rows .xterm-cursor``) for whether it
is shown. xterm 6's API has no getter for DECTCEM (``terminal.modes`` lacks
it), and the drawn cell is what a person sees anyway.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import glyphcast
import pytest

pytestmark = pytest.mark.timeout(120)

WIDTH, HEIGHT = 20, 5
ROWS = ["$ echo hi", "hi", "$ ", "", ""]

# One synchronous look at xterm: where its cursor is, whether a cursor cell is
# drawn (the renderer draws on the next animation frame after a write), and
# whether the terminal has focus (a viewer never focuses it).
LOOK = """() => { const v = glyphcast, t = v.terminal;
    const cell = t.element.querySelector('.xterm-rows .xterm-cursor');
    return {seq: v.paintedSeq, x: t.buffer.active.cursorX, y: t.buffer.active.cursorY,
            drawn: cell !== null, block: cell !== null && cell.classList.contains('xterm-cursor-block'),
            blinks: cell !== null && cell.classList.contains('xterm-cursor-blink'),
            focused: t.element.contains(document.activeElement),
            deltas: v.stats.deltas, frames: v.stats.frames}; }"""


class Program:
    """A hub the test shows frames on, numbering them as the hub does."""

    def __init__(self, display: Any):
        self.display = display
        self.seq = 0

    @property
    def url(self) -> str:
        return f"http://{self.display.host}:{self.display.port}/"

    def show(self, rows: list[str], cursor: tuple[int, int] | None = None) -> int:
        self.display.show(rows, cursor=cursor)
        self.seq += 1
        return self.seq


@pytest.fixture
def program(viewer_built: None) -> Iterator[Program]:
    display = glyphcast.open_display("websocket", host="127.0.0.1", port=0)
    display.init(WIDTH, HEIGHT)
    try:
        yield Program(display)
    finally:
        display.cleanup()


def painted(viewer: Any, seq: int, *, drawn: bool) -> dict[str, Any]:
    """xterm's cursor once frame ``seq`` is painted and the renderer has drawn
    the cursor (``drawn``) or taken it away; if that never happens, the last
    look, for the assertion that follows to show."""
    # Imported here: without playwright the browser fixture skips (or fails in CI) first.
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        viewer.wait(
            "([seq, drawn]) => glyphcast.paintedSeq === seq"
            " && (glyphcast.terminal.element.querySelector('.xterm-rows .xterm-cursor') !== null) === drawn",
            [seq, drawn],
            timeout=5,
        )
    except PlaywrightTimeoutError:
        pass
    look = viewer.eval(LOOK)
    assert look["seq"] == seq, f"frame {seq} was never painted: {look}"
    return look


def shows_cursor_at(look: dict[str, Any], col: int, row: int) -> None:
    assert (look["x"], look["y"]) == (col, row), look
    assert look["drawn"] and look["block"] and not look["blinks"], look
    assert not look["focused"], "the cursor must show without focus: viewers never focus xterm"


@pytest.mark.parametrize("codec", ["json", "binary", "diff"])
def test_cursor_follows_frames_and_hides(program, open_viewer, codec):
    seq = program.show(ROWS)
    viewer = open_viewer(f"{program.url}?codec={codec}")
    viewer.wait_live()
    assert not painted(viewer, seq, drawn=False)["drawn"]

    shows_cursor_at(painted(viewer, program.show(ROWS, cursor=(2, 2)), drawn=True), 2, 2)
    shows_cursor_at(painted(viewer, program.show(["$ ls", "", "", "", ""], cursor=(4, 0)), drawn=True), 4, 0)
    assert not painted(viewer, program.show(ROWS, cursor=None), drawn=False)["drawn"]
    shows_cursor_at(painted(viewer, program.show(ROWS, cursor=(0, 1)), drawn=True), 0, 1)
    # Past the last column and row: drawn on them, and the grid does not scroll.
    beyond = painted(viewer, program.show(ROWS, cursor=(WIDTH, HEIGHT + 3)), drawn=True)
    shows_cursor_at(beyond, WIDTH - 1, HEIGHT - 1)
    assert viewer.eval("() => glyphcast.rows()") == [row.rstrip() for row in ROWS]
    # No cursor at all (an engine that never sets one) hides it too.
    assert not painted(viewer, program.show(ROWS), drawn=False)["drawn"]
    assert viewer.errors == []


def test_a_delta_with_only_a_new_cursor_moves_it(program, open_viewer):
    program.show(ROWS, cursor=(2, 2))
    viewer = open_viewer(f"{program.url}?codec=diff")
    viewer.wait_live()
    before = viewer.eval(LOOK)
    # Same rows each time: the diff codec sends deltas whose rows are empty.
    for col, row in [(0, 0), (9, 0), (1, 1), (19, 4)]:
        shows_cursor_at(painted(viewer, program.show(ROWS, cursor=(col, row)), drawn=True), col, row)
    look = painted(viewer, program.show(ROWS, cursor=None), drawn=False)
    assert look["deltas"] - before["deltas"] == 5 and look["frames"] == before["frames"], look
    assert viewer.eval("() => glyphcast.rows()") == [row.rstrip() for row in ROWS]
    assert viewer.errors == []


def test_an_engine_without_a_cursor_draws_none(server_factory, open_viewer):
    """The demo never sends a cursor: the viewer looks as it did before v1.1."""
    server = server_factory()
    viewer = open_viewer(f"{server.http_url}/?codec=diff")
    viewer.wait_live()
    viewer.wait("() => glyphcast.stats.deltas >= 5")
    for _ in range(3):
        look = viewer.eval(LOOK)
        assert not look["drawn"], look
        viewer.page.wait_for_timeout(100)
    assert viewer.eval("() => glyphcast.cursor") is None
