"""``glyphcast share``: the program is shared, and its owner keeps using it in this terminal.

:class:`SharedProgram` is a :class:`~glyphcast_pty.source.PtySource` attached
to the terminal glyphcast runs in, as if glyphcast were not there: the
terminal goes raw (every key, Ctrl-C included, is a byte for the program), the
program's output is written to it as well as to the emulator, and its window
size is followed (SIGWINCH resizes the pty and the stream). Every way out
(program exit, an error, SIGTERM, a stopped run) restores the terminal.
"""

from __future__ import annotations

import logging
import os
import signal
import termios
import tty
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from types import FrameType
from typing import Any

from glyphcast import Cue
from glyphcast.protocol import MAX_SIDE
from glyphcast.source import ClosableSource, EndingSource, ExitingSource, TerminalSource, WritableSource

from glyphcast_pty.budget import DEFAULT_RATE
from glyphcast_pty.source import PtySource

#: The wire protocol's largest side; a bigger window is shared at this size.
DEFAULT_SIZE = (80, 24)


class LocalTerminal:
    """The terminal on ``fd_in``/``fd_out`` (stdin/stdout): its size, raw mode, its resizes."""

    def __init__(self, fd_in: int = 0, fd_out: int = 1) -> None:
        self.fd_in = fd_in
        self.fd_out = fd_out
        self.is_tty = os.isatty(fd_in)
        self._saved: list[Any] | None = None

    def size(self) -> tuple[int, int] | None:
        """(columns, lines), each 1..MAX_SIDE; None when there is no terminal to ask."""
        for fd in (self.fd_in, self.fd_out):
            try:
                columns, lines = os.get_terminal_size(fd)
            except OSError:
                continue
            if columns > 0 and lines > 0:
                return min(columns, MAX_SIDE), min(lines, MAX_SIDE)
        return None

    def enter_raw(self) -> None:
        """Raw mode (no echo, no line editing, no signals from keys) until :meth:`restore`."""
        if self._saved is None and self.is_tty:
            self._saved = termios.tcgetattr(self.fd_in)
            tty.setraw(self.fd_in, termios.TCSADRAIN)

    def restore(self) -> None:
        """The modes the terminal had before :meth:`enter_raw`; idempotent."""
        saved, self._saved = self._saved, None
        if saved is not None:
            termios.tcsetattr(self.fd_in, termios.TCSADRAIN, saved)

    @contextmanager
    def raw(self) -> Iterator[None]:
        self.enter_raw()
        try:
            with _log_lines_end_with_crlf():
                yield
        finally:
            self.restore()


@contextmanager
def _log_lines_end_with_crlf() -> Iterator[None]:
    """A raw terminal does not return the carriage on "\\n": log lines written to it end with "\\r\\n"."""
    changed: list[logging.StreamHandler[Any]] = []
    for handler in logging.getLogger().handlers:
        stream = getattr(handler, "stream", None)
        if isinstance(handler, logging.StreamHandler) and stream is not None and stream.isatty():
            if handler.terminator == "\n":
                handler.terminator = "\r\n"
                changed.append(handler)
    try:
        yield
    finally:
        for handler in changed:
            handler.terminator = "\n"


@contextmanager
def _on_signal(signum: int, handler: Any) -> Iterator[None]:
    previous = signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.signal(signum, previous)


class SharedProgram(TerminalSource, WritableSource, ClosableSource, EndingSource, ExitingSource):
    """``command`` in a pty, shared as a stream, used at the same time in ``terminal`` (``glyphcast share``).

    The stream's size is the terminal's (``width``/``height`` only when there is
    no terminal). Controllers may type (:meth:`write`) but not resize: the
    person sharing sets the size with their window. ``draws_on_terminal`` tells
    ``glyphcast`` not to write a status line over the program.
    """

    draws_on_terminal = True

    def __init__(
        self,
        width: int,
        height: int,
        command: str | Sequence[str],
        *,
        fps: float = 30.0,
        input_rate: float = DEFAULT_RATE,
        terminal: LocalTerminal | None = None,
    ) -> None:
        self.terminal = terminal or LocalTerminal()
        if self.terminal.is_tty:
            width, height = self.terminal.size() or (width, height)
        self.pty = PtySource(
            width,
            height,
            command,
            fps=fps,
            keyboard=self.terminal.fd_in,
            mirror=self.terminal.fd_out,
            modes_from=self.terminal.fd_in if self.terminal.is_tty else None,
            input_rate=input_rate,
        )
        # What sharing changed in this process and terminal (raw mode, the SIGWINCH handler), undone at the end.
        self._lent = ExitStack()

    @property
    def width(self) -> int:
        return self.pty.width

    @property
    def height(self) -> int:
        return self.pty.height

    @property
    def exit_status(self) -> int | None:
        return self.pty.exit_status

    @property
    def end_reason(self) -> str | None:
        return self.pty.end_reason

    def write(self, data: str) -> None:
        """A controller's keystrokes (metered, see :meth:`PtySource.write`)."""
        self.pty.write(data)

    def __iter__(self) -> Iterator[Cue]:
        return self._run()

    def _run(self) -> Iterator[Cue]:
        try:
            # The program starts first: its pty takes this terminal's modes as they are, not raw.
            cues = iter(self.pty)
            if self.terminal.is_tty:
                self._lent.enter_context(_on_signal(signal.SIGWINCH, self._follow_window))
                self._lent.enter_context(self.terminal.raw())
                self._follow_window()  # the window may have changed since the source was made
            yield from cues
        finally:
            self._lent.close()

    def _follow_window(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        size = self.terminal.size()
        if size is not None:
            self.pty.resize(*size)

    def close(self) -> None:
        """Stop the program and give the terminal back as it was; idempotent."""
        try:
            self.pty.close()
        finally:
            self._lent.close()
