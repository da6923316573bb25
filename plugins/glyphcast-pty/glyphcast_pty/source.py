"""Source ``pty``: a terminal program as a stream of frames.

The program runs in a pseudo-terminal of the stream's size. Its output is
decoded (UTF-8, errors replaced) and fed to :class:`glyphcast.vt.Screen`; when
the screen changed, a :class:`~glyphcast.Cue` carries its rows and cursor,
paced by :class:`~glyphcast_pty.pacing.Pacer` (at most ``fps``, at once when a
burst of output ends).

One thread does all of it, in the runner's loop: it blocks in ``poll`` on the
pty, the program's exit (a pidfd) and a wake-up pipe, with no timeout unless a
frame is owed, so an idle program costs nothing. The program never waits on
viewers: output is read in big chunks as fast as it comes, the emulator keeps
no scrollback, frames are coalesced, and displays' ``show()`` returns at once.
Memory stays bounded whatever the program writes.

Other threads (the hub's, for a controller) only queue: :meth:`PtySource.write`
and :meth:`PtySource.resize` take a lock, append, and wake the loop.
"""

from __future__ import annotations

import codecs
import errno
import logging
import math
import os
import select
import shlex
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence

from glyphcast import Cue
from glyphcast.clock import MONOTONIC, Clock
from glyphcast.source import (
    ClosableSource,
    EndingSource,
    ExitingSource,
    ResizableFromAnyThread,
    WritableSource,
)
from glyphcast.vt import Screen

from glyphcast_pty.budget import DEFAULT_BURST, DEFAULT_RATE, DropReport, InputBudget
from glyphcast_pty.pacing import Pacer
from glyphcast_pty.process import PtyProcess, child_env, describe_status, resolve, shell_status

log = logging.getLogger("glyphcast.pty")

#: One read's size. Linux hands out a pty's output about 4 KiB a read; more is read per wake-up (below).
READ_SIZE = 64 * 1024
#: Output read per wake-up before pacing is looked at again: a flood still gets its frames on time.
READ_BUDGET = 1024 * 1024
#: Characters fed to the emulator at once: avt returns the lines a write scrolled off the screen
#: as Python objects (even without scrollback), so a large feed would cost memory in proportion.
#: How long :meth:`PtySource.close` from another thread waits for the iterating thread to let go.
CLOSE_WAIT = 5.0
#: Keystrokes waiting for the pty to take them (a program not reading its input): past this, the
#: sharer's keyboard is not read (as a terminal would block) and controller input is dropped.
MAX_PENDING_INPUT = 256 * 1024
#: After the program exits, output still in the pty is read until it closes or stays quiet this long
#: (something the program left running may hold the pty open).
DRAIN_QUIET = 0.05
DRAIN_LIMIT = 4 * 1024 * 1024

POLL_IN = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR


def _argv(command: str | Sequence[str]) -> list[str]:
    argv = shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]
    if not argv:
        raise ValueError("no command given: pty:command='PROGRAM ARGS'")
    return argv


def _read_keys(fd: int) -> bytes | None:
    """What was typed on ``fd``: None if nothing after all, b"" once there is no more (end of file, a hang-up)."""
    try:
        return os.read(fd, READ_SIZE)
    except BlockingIOError:
        return None
    except OSError as error:
        if error.errno in (errno.EIO, errno.EBADF):
            return b""
        raise


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd``, waiting for it to drain if it is non-blocking."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            select.select([], [fd], [])


class PtySource(ResizableFromAnyThread, WritableSource, ClosableSource, EndingSource, ExitingSource):
    """A command in a ``width`` x ``height`` pseudo-terminal, as frames (``glyphcast run --source pty:command=...``).

    The program starts when the source is first iterated (after the displays,
    so the viewer's address is printed before the program takes the terminal)
    and the iteration ends when it exits: ``exit_status`` is its status
    (128 + N when killed by signal N) and ``end_reason`` says it in words.

    ``keyboard``/``mirror`` attach a terminal (what ``glyphcast share`` does):
    bytes read from ``keyboard`` go to the program unmetered, and the program's
    output is also written to ``mirror``. ``modes_from`` is a terminal whose
    modes the pty starts with. Controllers' :meth:`write` is metered by
    ``input_rate``/``input_burst`` (bytes per second / at once).
    """

    #: How the program ended, in words ("exited with status 3"); None while it runs.
    end_reason: str | None = None
    #: Its exit status (128 + N when killed by signal N); None while it runs.
    exit_status: int | None = None

    def __init__(
        self,
        width: int,
        height: int,
        command: str | Sequence[str],
        *,
        fps: float = 30.0,
        env: Mapping[str, str] | None = None,
        keyboard: int | None = None,
        mirror: int | None = None,
        modes_from: int | None = None,
        input_rate: float = DEFAULT_RATE,
        input_burst: float = DEFAULT_BURST,
        clock: Clock = MONOTONIC,
    ) -> None:
        self.argv = _argv(command)
        self.env = child_env(env)
        resolve(self.argv, self.env)  # a missing command fails here, before any display starts
        self.width = width
        self.height = height
        self.fps = fps
        self.keyboard = keyboard
        self.mirror = mirror
        self.modes_from = modes_from
        self.clock = clock
        self.pacer = Pacer(fps)
        self.screen = Screen(width, height)
        self.process: PtyProcess | None = None
        self.end_reason = None
        self.exit_status = None
        self._budget = InputBudget(input_rate, input_burst, clock)
        self._drops = DropReport(clock=clock)
        # Reentrant: a signal handler (SIGWINCH -> resize) may run while this thread holds it.
        self._lock = threading.RLock()
        self._input = bytearray()
        self._pending_size: tuple[int, int] | None = None
        self._size_changed = False
        self._closed = False  # close() was called: no more input, the program is to end
        self._released = False  # the program is reaped and every descriptor closed
        self._loop_thread: int | None = None  # the thread iterating, while it is
        self._let_go = threading.Event()  # set once the iterating thread has released everything
        self._started_at = 0.0
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

    # -- from any thread ------------------------------------------------------
    def write(self, data: str) -> None:
        """Type ``data`` into the program (a controller's ``input``): queued, never blocks.

        Over the input budget, or while the program is not reading its input,
        the whole message is dropped and a line is logged (at most every few seconds).
        """
        raw = data.encode("utf-8", "replace")
        with self._lock:
            if self._closed or self.exit_status is not None:
                return
            if len(self._input) + len(raw) > MAX_PENDING_INPUT or not self._budget.take(len(raw)):
                report = self._drops.dropped(len(raw))
                if report is not None:
                    log.warning(
                        "pty: dropped %d controller input message(s), %d bytes: over the limit of %d bytes/s "
                        "(%d at once) or the program is not reading its input",
                        report[0],
                        report[1],
                        self._budget.rate,
                        self._budget.burst,
                    )
                return
            self._input += raw
            self._wake()

    #: :meth:`resize` wakes this source's own loop: the runner calls it from a controller's thread at once.
    resizes_from_any_thread = True

    def resize(self, width: int, height: int) -> None:
        """Give the program a ``width`` x ``height`` terminal (it gets SIGWINCH); the next cue carries the size."""
        with self._lock:
            if self._closed:
                return
            self._pending_size = (width, height)
            self._wake()

    def _wake(self) -> None:
        """Make the loop's poll return (call with the lock held: the pipe is closed under it)."""
        if self._released:
            return
        try:
            os.write(self._wake_w, b"\0")
        except BlockingIOError:
            return  # the pipe is full: a wake-up is already pending, which is all this is for

    # -- the loop (the runner's thread) ---------------------------------------
    def __iter__(self) -> Iterator[Cue]:
        if self.process is not None or self._closed:
            raise RuntimeError("a pty source runs its program once")
        self._started_at = self.clock.now()
        self._apply_resize()
        self.process = PtyProcess(
            self.argv, self.width, self.height, env=self.env, modes_from=self.modes_from
        )
        return self._run(self.process)

    def _run(self, process: PtyProcess) -> Iterator[Cue]:
        self._loop_thread = threading.get_ident()
        try:
            yield from self._loop(process)
        finally:
            self._loop_thread = None
            self._release()
            self._let_go.set()

    def _loop(self, process: PtyProcess) -> Iterator[Cue]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        poller = select.poll()
        poller.register(self._wake_r, select.POLLIN)
        if process.pidfd is not None:
            poller.register(process.pidfd, select.POLLIN)
        pty_open = True
        master_events = select.POLLIN
        poller.register(process.master, master_events)
        keyboard = self.keyboard
        keyboard_polled = False
        while not self._closed:
            # What to wait for: output always, the pty's room for input only while some waits,
            # the keyboard only while the pty keeps up with it.
            if pty_open:
                wanted = select.POLLIN | (select.POLLOUT if self._input else 0)
                if wanted != master_events:
                    poller.modify(process.master, wanted)
                    master_events = wanted
            if keyboard is not None:
                want_keys = len(self._input) < MAX_PENDING_INPUT
                if want_keys != keyboard_polled:
                    if want_keys:
                        poller.register(keyboard, select.POLLIN)
                    else:
                        poller.unregister(keyboard)
                    keyboard_polled = want_keys
            timeout = self.pacer.timeout(self.clock.now())
            events = poller.poll(None if timeout is None else math.ceil(timeout * 1000))
            exited = busy = False
            for fd, mask in events:
                if fd == process.master:
                    if mask & select.POLLOUT:
                        self._send_input(process)
                    if mask & POLL_IN:
                        busy, pty_open = self._read_output(process, decoder)
                        if not pty_open:
                            poller.unregister(process.master)
                elif fd == self._wake_r:
                    self._drain_wake_pipe()
                elif fd == process.pidfd:
                    exited = True
                elif fd == keyboard:
                    data = _read_keys(keyboard)
                    if data:
                        with self._lock:
                            self._input += data
                    elif (
                        data is not None
                    ):  # end of input (a pipe, /dev/null, a closed terminal): the program runs on without it
                        poller.unregister(keyboard)
                        keyboard = None
            if self._input and pty_open:
                self._send_input(process)
            self._apply_resize()
            if exited or not pty_open and process.pidfd is None:
                yield from self._finish(process, decoder, pty_open)
                return
            # Output still coming: a frame only once the change has waited an interval. Quiet: at once.
            now = self.clock.now()
            if self.pacer.due_while_busy(now) if busy else self.pacer.due_when_quiet(now):
                yield self._cue(now)

    def _read_output(self, process: PtyProcess, decoder: codecs.IncrementalDecoder) -> tuple[bool, bool]:
        """Read what the program wrote (up to READ_BUDGET) and show it: (any output, the pty still open)."""
        chunks: list[bytes] = []
        size = 0
        open_ = True
        while size < READ_BUDGET:
            data = process.read(READ_SIZE)
            if data is None:
                break
            if not data:
                open_ = False
                break
            chunks.append(data)
            size += len(data)
        if chunks:
            self._show_output(b"".join(chunks), decoder)
        return bool(chunks), open_

    def _show_output(self, data: bytes, decoder: codecs.IncrementalDecoder) -> None:
        if self.mirror is not None:
            try:
                write_all(self.mirror, data)
            except OSError as error:  # the terminal or pipe went away: the viewers still get the program
                log.warning("pty: stopped copying the program's output to fd %d: %s", self.mirror, error)
                self.mirror = None
        self._feed(decoder.decode(data))

    def _feed(self, text: str) -> None:
        self.screen.feed(text)  # in pieces the emulator's memory stays small with (glyphcast.vt)
        if text and self.screen.changed:
            self.pacer.changed(self.clock.now())

    def _send_input(self, process: PtyProcess) -> None:
        with self._lock:
            if self._input:
                del self._input[: process.write(self._input[:READ_SIZE])]

    def _drain_wake_pipe(self) -> None:
        while True:
            try:
                if not os.read(self._wake_r, 4096):
                    return
            except BlockingIOError:
                return

    def _apply_resize(self) -> None:
        with self._lock:
            size, self._pending_size = self._pending_size, None
        if size is None or size == (self.width, self.height):
            return
        self.width, self.height = size
        self.screen.resize(*size)
        if self.process is not None:
            self.process.resize(*size)
            self._size_changed = True
            self.pacer.changed(self.clock.now())

    def _cue(self, now: float) -> Cue:
        rows, cursor = self.screen.snapshot()
        size = (self.width, self.height) if self._size_changed else None
        self._size_changed = False
        self.pacer.shown(now)
        return Cue(rows, at=max(0.0, now - self._started_at), size=size, cursor=cursor)

    def _finish(
        self, process: PtyProcess, decoder: codecs.IncrementalDecoder, pty_open: bool
    ) -> Iterator[Cue]:
        """The program exited: show what it wrote last, then end with its status."""
        status = process.wait(None)
        assert status is not None
        drained = 0
        while pty_open and drained < DRAIN_LIMIT:
            ready, _, _ = select.select([process.master], [], [], DRAIN_QUIET)
            if not ready:
                break
            data = process.read(READ_SIZE)
            if data is None:
                continue
            if not data:
                break
            drained += len(data)
            self._show_output(data, decoder)
        self._feed(decoder.decode(b"", final=True))
        with self._lock:
            self.exit_status = shell_status(status)
            self.end_reason = describe_status(status)
        if self.pacer.pending:
            yield self._cue(self.clock.now())

    # -- end ------------------------------------------------------------------
    def close(self) -> None:
        """End the program (SIGHUP to its process group, SIGKILL if it lingers), reap it, release everything.

        Idempotent. From the thread iterating the source (or once iteration
        has stopped) it does it all at once; from another thread while the
        source is being iterated, it ends the program and waits for the
        iterating thread to release the rest.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            looping = self._loop_thread is not None and self._loop_thread != threading.get_ident()
            self._wake()
        if looping and self.process is not None:
            self.process.signal_group(signal.SIGHUP)
            self.process.signal_group(signal.SIGCONT)
            if self._let_go.wait(CLOSE_WAIT):
                return
            log.warning(
                "pty: the thread iterating the source did not stop within %.0f s; its program was killed",
                CLOSE_WAIT,
            )
            self.process.signal_group(signal.SIGKILL)
            return
        self._release()

    def _release(self) -> None:
        """Reap the program (ending it if need be) and close every descriptor; once."""
        with self._lock:
            if self._released:
                return
            self._released = True
            os.close(self._wake_r)
            os.close(self._wake_w)
        if self.process is not None:
            self.process.close()
            status = self.process.returncode
            if self.exit_status is None and status is not None:
                self.exit_status = shell_status(status)
                self.end_reason = describe_status(status)
