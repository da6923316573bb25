"""The ``terminal`` display: the stream drawn with ANSI escapes on the local terminal.

:class:`TerminalPainter` is the pure part (frames in, escape sequences out): it
rewrites only the rows that changed and wraps each frame in synchronized-output
mode 2026, so terminals that support it never show a half-drawn frame.
:class:`TerminalDisplay` owns a writer thread fed through a latest-wins slot, so
``show()`` stays O(1) even when the terminal is slow, and restores the terminal
(cursor, attributes) on cleanup, Ctrl-C, SIGTERM and interpreter exit.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any, BinaryIO

from glyphcast.display import DisplayError, FrameDisplay
from glyphcast.frame import Frame
from glyphcast.handoff import LatestSlot
from glyphcast.paint import CLEAR_SCREEN, CSI, HIDE_CURSOR, RESET, SHOW_CURSOR, paint_rows

log = logging.getLogger("glyphcast")

SYNC_BEGIN = CSI + "?2026h"
SYNC_END = CSI + "?2026l"
ALT_SCREEN_ON = CSI + "?1049h"
ALT_SCREEN_OFF = CSI + "?1049l"
#: How often (seconds) an idle writer looks whether SIGWINCH came, to repaint the last frame.
WINCH_POLL = 0.1


class TerminalPainter:
    """Frames in, the escape sequences that update a terminal out. No I/O.

    The first frame (and any frame after a change of size) clears the screen and
    draws every row; later frames rewrite only the rows that differ from the last
    painted frame. Rows are cut to the terminal's size, so a frame larger than
    the terminal never scrolls it; the row below what fits then says so (the
    stream's size, the terminal's, "enlarge the terminal") in inverse video.
    Rows are painted by :func:`glyphcast.paint.paint_rows`, as recordings paint them.
    """

    def __init__(self, alt_screen: bool = False) -> None:
        self.alt_screen = alt_screen
        self._rows: tuple[str, ...] | None = None
        self._shape: tuple[int, int, str] | None = None
        #: Rows used by the last painted frame (where ``end()`` leaves the cursor).
        self.painted_height = 0

    def begin(self) -> str:
        """Take over the terminal: hide the cursor (and enter the alternate screen if asked)."""
        return (ALT_SCREEN_ON if self.alt_screen else "") + HIDE_CURSOR

    def paint(self, frame: Frame, columns: int, lines: int) -> str:
        """The output that turns the last painted frame into ``frame`` on a ``columns`` x ``lines`` terminal."""
        notice = ""
        if frame.width > columns or frame.height > lines:
            notice = self.notice(frame.width, frame.height, columns, lines)
        room = lines - 1 if notice and lines > 1 else lines  # the notice takes the row below the frame
        width, height = min(frame.width, columns), min(frame.height, room)
        rows = frame.rows[:height]
        out = [SYNC_BEGIN]
        if self._rows is None or self._shape != (width, height, notice):
            out.append(CLEAR_SCREEN)
            changed: list[int] = list(range(height))
            if notice and height < lines:
                out.append(paint_rows([(height, notice)], columns, columns))
        else:
            last = self._rows
            changed = [y for y in range(height) if rows[y] != last[y]]
        out.append(paint_rows(((y, rows[y]) for y in changed), width, columns))
        out.append(SYNC_END)
        self._rows, self._shape = rows, (width, height, notice)
        self.painted_height = height + 1 if notice and height < lines else height
        return "".join(out)

    @staticmethod
    def notice(width: int, height: int, columns: int, lines: int) -> str:
        """The status row shown while a ``width`` x ``height`` stream is cut to a smaller terminal."""
        text = f" stream {width}x{height} > terminal {columns}x{lines}: cut to fit; enlarge the terminal (glyphcast) "
        return f"{CSI}7m{text}{RESET}"

    def invalidate(self) -> None:
        """Paint everything again next time (the terminal was resized: its contents may have moved)."""
        self._rows = None

    def end(self, lines: int) -> str:
        """Give the terminal back: attributes reset, cursor below the frame and visible again."""
        if self.alt_screen:
            return RESET + ALT_SCREEN_OFF + SHOW_CURSOR
        if self.painted_height == 0:
            return RESET + SHOW_CURSOR
        if self.painted_height < lines:
            below = f"{CSI}{self.painted_height + 1};1H"
        else:
            # The frame fills the terminal: a newline on the last row scrolls one line,
            # so the shell prompt does not land on the frame's last row.
            below = f"{CSI}{lines};1H\r\n"
        return RESET + below + SHOW_CURSOR


def _isatty(output: Any) -> bool:
    try:
        return bool(output.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class TerminalDisplay(FrameDisplay):
    """Draws the stream on a terminal (stdout by default) from a writer thread.

    Refuses (``DisplayError``) when the output is not a terminal unless
    ``force=True``: escape codes in a file or a pipe are rarely what anyone wants.
    """

    def __init__(
        self,
        width: int = 80,
        height: int = 24,
        force: bool = False,
        alt_screen: bool = False,
        output: BinaryIO | None = None,
    ) -> None:
        super().__init__(width, height)
        self.output: BinaryIO = output if output is not None else sys.stdout.buffer
        self.tty = _isatty(self.output)
        if not self.tty and not force:
            raise DisplayError(
                "terminal: stdout is not a terminal, refusing to write escape codes to it; "
                "run in a terminal, or select terminal:force=true to write them anyway"
            )
        self.painter = TerminalPainter(alt_screen)
        self.painted = 0
        self._slot: LatestSlot[Frame] = LatestSlot()
        self._thread: threading.Thread | None = None
        self._restored = threading.Event()
        self._previous_sigterm: Any = None
        self._previous_sigwinch: Any = None
        self._on_winch: Any = None
        #: Set by SIGWINCH (one assignment, safe in a signal handler); the writer repaints.
        self._winched = False
        #: (stream, terminal) sizes of the last frame cut to fit, for the one line on stderr at the end.
        self.cut: tuple[tuple[int, int], tuple[int, int]] | None = None

    # -- FrameDisplay -------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._write_frames, name="glyphcast-terminal", daemon=True)
        self._thread.start()
        atexit.register(self.cleanup)
        self._take_sigterm()
        self._take_sigwinch()

    def deliver(self, frame: Frame) -> None:
        self._slot.put(frame)

    def clear(self) -> None:
        """Blank the frame's area (as a blank frame, so it takes its turn with the frames around it)."""
        if self.started and not self.closed:
            self._seq += 1
            self._slot.put(Frame.from_buffer([], self.width, self.height, self._seq))

    def stop(self) -> None:
        self._slot.close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._restore()
        atexit.unregister(self.cleanup)
        self._give_back_sigterm()
        self._give_back_sigwinch()
        if self.cut is not None:
            (width, height), (columns, lines) = self.cut
            log.warning(
                "terminal: the stream (%dx%d) was larger than the terminal (%dx%d) and was cut to fit; "
                "enlarge the terminal, or pass a smaller --size",
                width,
                height,
                columns,
                lines,
            )

    def is_available(self) -> bool:
        return self.tty

    def status(self) -> str:
        return f"{self.painted} drawn, {self._slot.dropped} skipped"

    # -- the writer thread --------------------------------------------------
    def _write_frames(self) -> None:
        try:
            self._write(self.painter.begin())
            last: Frame | None = None
            while True:
                # Wake now and then while the stream is idle, to follow a resized terminal.
                frame = self._slot.take(WINCH_POLL)
                if frame is None:
                    if self._slot.closed:
                        break
                    if last is None or not self._winched:
                        continue
                    frame = last  # the terminal was resized: paint the same frame again to fit it
                if self._winched:
                    self._winched = False
                    self.painter.invalidate()
                columns, lines = self._terminal_size(frame)
                if frame.width > columns or frame.height > lines:
                    self.cut = ((frame.width, frame.height), (columns, lines))
                self._write(self.painter.paint(frame, columns, lines))
                self.painted += 1
                last = frame
        except OSError as error:  # a closed pipe, a terminal gone away: the next show() raises it
            self.fail(error)
        except Exception as error:
            log.exception("terminal writer crashed")
            self.fail(error)

    def _terminal_size(self, frame: Frame) -> tuple[int, int]:
        if self.tty:
            try:
                size = os.get_terminal_size(self.output.fileno())
            except (OSError, ValueError):
                return frame.width, frame.height  # a terminal without a size: draw the frame as it is
            if size.columns and size.lines:
                return size.columns, size.lines
        return frame.width, frame.height

    def _write(self, text: str) -> None:
        self.output.write(text.encode("utf-8"))
        self.output.flush()

    def _restore(self) -> None:
        if self._restored.is_set():
            return
        self._restored.set()
        lines = self.painter.painted_height or self.height
        if self.tty:
            try:
                lines = os.get_terminal_size(self.output.fileno()).lines
            except (OSError, ValueError):
                log.debug("no terminal size while restoring; assuming the frame's height")
        try:
            self._write(self.painter.end(lines))
        except (OSError, ValueError) as error:
            log.warning("could not restore the terminal: %s", error)

    # -- SIGTERM ------------------------------------------------------------
    def _take_sigterm(self) -> None:
        """An engine that has no SIGTERM handler would die without restoring the cursor:
        turn SIGTERM into SystemExit so cleanup and atexit run. A handler the engine (or
        the glyphcast CLI) installed is left alone."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            self._previous_sigterm = signal.SIG_DFL
            signal.signal(signal.SIGTERM, _exit_on_sigterm)

    def _give_back_sigterm(self) -> None:
        if self._previous_sigterm is None or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is _exit_on_sigterm:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
        self._previous_sigterm = None

    # -- SIGWINCH -----------------------------------------------------------
    def _take_sigwinch(self) -> None:
        """Follow a resized terminal: SIGWINCH marks it and the writer repaints at the new size.
        Only from the main thread (Python's rule for handlers), chaining to any handler there."""
        if not self.tty or threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGWINCH)

        def on_winch(signum: int, frame: FrameType | None) -> None:
            self._winched = True
            if callable(previous):
                previous(signum, frame)

        self._previous_sigwinch = signal.SIG_DFL if previous is None else previous
        self._on_winch = on_winch
        signal.signal(signal.SIGWINCH, on_winch)

    def _give_back_sigwinch(self) -> None:
        if self._on_winch is None or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGWINCH) is self._on_winch:
            signal.signal(signal.SIGWINCH, self._previous_sigwinch)
        self._on_winch = self._previous_sigwinch = None


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def open_terminal(force: bool = False, alt_screen: bool = False) -> TerminalDisplay:
    """The ``terminal`` display's factory: its parameters are the CLI options (``terminal:force=true``)."""
    return TerminalDisplay(force=force, alt_screen=alt_screen)
