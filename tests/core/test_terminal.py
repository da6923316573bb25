"""The terminal display: only changed rows, synchronized output, O(1) show(), and the terminal given back."""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from core_helpers import screen_after
from glyphcast import Display, DisplayError, Frame, Stream
from glyphcast.displays import MemoryDisplay, NullDisplay
from glyphcast.terminal import SHOW_CURSOR, SYNC_BEGIN, SYNC_END, TerminalDisplay, TerminalPainter
from glyphcast.testing import DisplayConformance


def frame(rows: list[str], seq: int = 1, width: int = 10) -> Frame:
    return Frame.from_buffer(rows, width, len(rows), seq, ts=0.0)


# -- the painter (no I/O) ----------------------------------------------------------
def test_the_first_frame_clears_and_draws_every_row_inside_a_sync_block() -> None:
    out = TerminalPainter().paint(frame(["ab", "cd", "ef"]), 10, 4)
    assert out.startswith(SYNC_BEGIN) and out.endswith(SYNC_END)
    assert out.count(SYNC_BEGIN) == 1
    assert screen_after(out).display[:3] == ["ab        ", "cd        ", "ef        "]


def test_later_frames_rewrite_only_the_rows_that_changed() -> None:
    painter = TerminalPainter()
    first = painter.paint(frame(["ab", "cd", "ef"]), 10, 4)
    second = painter.paint(frame(["ab", "XY", "ef"], seq=2), 10, 4)
    assert "\x1b[2;1H" in second and "\x1b[1;1H" not in second and "\x1b[3;1H" not in second
    assert "\x1b[2J" not in second
    assert screen_after(first, second).display[:3] == ["ab        ", "XY        ", "ef        "]
    assert painter.paint(frame(["ab", "XY", "ef"], seq=3), 10, 4) == SYNC_BEGIN + SYNC_END


def test_a_frame_larger_than_the_terminal_is_cut_to_fit_and_the_last_row_says_so() -> None:
    painter = TerminalPainter()
    big = frame(["0123456789", "b", "c", "d", "e", "f"], width=10)
    out = painter.paint(big, 6, 3)
    screen = screen_after(out, columns=6, lines=3)
    assert screen.display == ["012345", "b     ", " strea"]
    assert painter.painted_height == 3
    wide = screen_after(painter.paint(big, 90, 3), columns=90, lines=3)
    assert wide.display[:2] == ["0123456789".ljust(90), "b".ljust(90)]
    assert "stream 10x6 > terminal 90x3: cut to fit; enlarge the terminal" in wide.display[2]
    assert wide.buffer[2][1].reverse  # a status row, not part of the frame
    # Once it fits, the notice goes away.
    fits = screen_after(out, painter.paint(big, 60, 10), columns=60, lines=10)
    assert [line.rstrip() for line in fits.display[:7]] == ["0123456789", "b", "c", "d", "e", "f", ""]


def test_a_resize_redraws_everything() -> None:
    painter = TerminalPainter()
    painter.paint(frame(["a", "b"]), 10, 4)
    out = painter.paint(frame(["a", "b", "c"], seq=2), 10, 4)
    assert "\x1b[2J" in out and out.count(";1H") == 3


def test_wide_and_styled_rows_land_in_the_right_cells() -> None:
    out = TerminalPainter().paint(frame(["\x1b[1;31m漢字\x1b[0mx"], width=6), 6, 2)
    screen = screen_after(out, columns=6, lines=2)
    assert screen.buffer[0][0].data == "漢" and screen.buffer[0][0].bold and screen.buffer[0][0].fg == "red"
    assert screen.buffer[0][4].data == "x" and not screen.buffer[0][4].bold


def test_end_puts_the_cursor_below_the_frame_visible_with_attributes_reset() -> None:
    painter = TerminalPainter()
    drawn = painter.paint(frame(["\x1b[7mab", "cd"]), 10, 4)
    screen = screen_after(painter.begin(), drawn, painter.end(4))
    assert not screen.cursor.hidden
    assert (screen.cursor.y, screen.cursor.x) == (2, 0)
    assert not screen.cursor.attrs.reverse
    assert screen.display[:2] == ["ab        ", "cd        "]


def test_a_frame_filling_the_terminal_scrolls_once_so_the_prompt_does_not_cover_it() -> None:
    painter = TerminalPainter()
    screen = screen_after(
        painter.begin(), painter.paint(frame(["a", "b", "c"]), 10, 3), painter.end(3), lines=3
    )
    assert screen.display == ["b         ", "c         ", "          "]


# -- the display -------------------------------------------------------------------
class DrainedPipe:
    """A pipe whose read end is drained by a thread, standing in for a terminal that keeps up."""

    def __init__(self) -> None:
        read, write = os.pipe()
        self.read_fd = read
        self.writer = os.fdopen(write, "wb")
        self.data = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            stopping = self._stop.is_set()
            if select.select([self.read_fd], [], [], 0 if stopping else 0.02)[0]:
                chunk = os.read(self.read_fd, 65536)
                if not chunk:
                    return
                self.data += chunk
            elif stopping:
                return  # everything written so far has been read

    def break_reader(self) -> None:
        """The reader goes away: the next write gets EPIPE."""
        self._stop.set()
        self._thread.join()
        os.close(self.read_fd)

    def close(self) -> None:
        if not self._stop.is_set():
            self.break_reader()
        try:
            self.writer.close()
        except BrokenPipeError:
            pass  # buffered bytes for a reader that is gone: nothing to lose


@pytest.fixture
def pipe() -> Iterator[DrainedPipe]:
    p = DrainedPipe()
    yield p
    p.close()


def test_refuses_an_output_that_is_not_a_terminal(pipe: DrainedPipe) -> None:
    with pytest.raises(DisplayError, match="not a terminal.*terminal:force=true"):
        TerminalDisplay(output=pipe.writer)


def test_forced_onto_a_pipe_it_draws_frames_and_gives_the_terminal_back(pipe: DrainedPipe) -> None:
    display = TerminalDisplay(force=True, output=pipe.writer)
    assert not display.is_available()
    display.init(10, 2)
    display.show(["one", "two"])
    display.show(["one", "three"])
    display.cleanup()
    pipe.break_reader()
    text = pipe.data.decode()
    assert text.count(SYNC_BEGIN) == text.count(SYNC_END) >= 1
    assert text.endswith(SHOW_CURSOR)
    screen = screen_after(text, columns=10, lines=4)
    assert screen.display[:2] == ["one       ", "three     "] and not screen.cursor.hidden


def test_show_never_waits_for_a_terminal_that_stopped_reading() -> None:
    read, write = os.pipe()  # nobody reads: the writer thread blocks once the pipe buffer is full
    writer = os.fdopen(write, "wb")
    display = TerminalDisplay(force=True, output=writer)
    display.init(200, 50)
    done = threading.Event()

    def engine() -> None:
        for n in range(2000):
            display.show([f"{n:>200}"] * 50)
        done.set()

    threading.Thread(target=engine, daemon=True).start()
    try:
        assert done.wait(10), "show() blocked on a stalled terminal"
        assert display.painted < 2000  # frames were skipped, not queued
    finally:
        os.close(read)
        display.cleanup()
        try:
            writer.close()
        except BrokenPipeError:
            pass  # the reader is gone; the test is about show(), not this write


def test_the_terminal_is_registered_and_refuses_a_non_tty_stdout_by_name() -> None:
    from glyphcast import available_displays, open_display

    assert {"terminal", "null", "memory"} <= set(available_displays())
    if not os.isatty(1):
        with pytest.raises(DisplayError, match="force=true"):
            open_display("terminal")


# -- the conformance suite on every built-in display ---------------------------------
class TestNullConformance(DisplayConformance):
    def make_display(self) -> Display:
        return NullDisplay()


class TestMemoryConformance(DisplayConformance):
    def make_display(self) -> Display:
        return MemoryDisplay(limit=10)


class TestStreamConformance(DisplayConformance):
    def make_display(self) -> Display:
        return Stream([("memory", MemoryDisplay(limit=10)), ("null", NullDisplay())])


class TestTerminalConformance(DisplayConformance):
    pipes: list[DrainedPipe]

    def make_display(self) -> Display:
        pipe = DrainedPipe()
        self.pipes = [*getattr(self, "pipes", []), pipe]
        display = TerminalDisplay(force=True, output=pipe.writer)
        display.pipe = pipe  # type: ignore[attr-defined]
        return display

    def break_display(self, display: Any) -> None:
        display.pipe.break_reader()  # the real thing: the next write fails with EPIPE

    @pytest.fixture(autouse=True)
    def _close_pipes(self) -> Iterator[None]:
        yield
        for pipe in getattr(self, "pipes", []):
            pipe.close()
