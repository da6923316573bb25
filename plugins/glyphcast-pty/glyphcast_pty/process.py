"""A command in a new pseudo-terminal: spawned, sized, read, written, reaped.

The program gets a session of its own with the pty as its controlling
terminal, as a terminal emulator would give it: Ctrl-C typed into the pty is
SIGINT to the program's foreground job, ``/dev/tty`` opens, job control works.

It is spawned with ``posix_spawn`` rather than ``fork``: glyphcast runs threads
(the WebSocket hub), and forking a threaded process is unsafe. ``setsid`` comes
before the file actions, so opening the pty's slave by name makes it the new
session's controlling terminal.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import shutil
import signal
import struct
import termios
import time
from collections.abc import Mapping, Sequence

from glyphcast.environment import without_secrets

#: What programs are told they run in: the emulator (asciinema's avt) speaks xterm.
TERM = "xterm-256color"

# Signals a child must not inherit as ignored or blocked: Python ignores SIGPIPE, a shell
# running glyphcast in the background ignores SIGINT and SIGQUIT, and so on.
_DEFAULT_SIGNALS = tuple(
    getattr(signal, name)
    for name in (
        "SIGPIPE",
        "SIGXFSZ",
        "SIGINT",
        "SIGQUIT",
        "SIGTERM",
        "SIGHUP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGCHLD",
        "SIGWINCH",
        "SIGALRM",
        "SIGUSR1",
        "SIGUSR2",
    )
    if hasattr(signal, name)
)


class CommandNotFound(FileNotFoundError):
    """The command is not on PATH (or not a file); a shell would say "command not found" and exit 127."""


def describe_status(status: int) -> str:
    """``waitstatus_to_exitcode``'s value as a person reads it."""
    if status >= 0:
        return f"program exited with status {status}"
    number = -status
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"killed by signal {number}"
    return f"killed by signal {number} ({name})"


def shell_status(status: int) -> int:
    """The exit status a shell reports: the program's own, or 128 + the signal that killed it."""
    return status if status >= 0 else 128 - status


def child_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The program's environment: ours (or ``base``), with TERM set, no COLUMNS/LINES (the pty's size is
    the truth) and none of glyphcast's secrets (``GLYPHCAST_*TOKEN*``...): a shared shell's ``env`` would
    show them to every viewer. Every program a pty runs gets its environment here."""
    env = without_secrets(os.environ if base is None else base)
    env["TERM"] = TERM
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return env


def resolve(argv: Sequence[str], env: Mapping[str, str]) -> str:
    """The executable ``argv[0]`` names, found on the program's PATH; CommandNotFound if there is none."""
    if not argv or not argv[0]:
        raise CommandNotFound("no command given")
    found = shutil.which(argv[0], path=env.get("PATH", os.defpath))
    if found is None:
        raise CommandNotFound(f"command not found: {argv[0]}")
    return found


def set_window_size(fd: int, width: int, height: int) -> None:
    """TIOCSWINSZ: on the master, the kernel also sends SIGWINCH to the program's foreground job."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


class PtyProcess:
    """``argv`` running on a fresh ``width`` x ``height`` pty; ``master`` is our end (non-blocking).

    ``modes_from``: a terminal whose modes (erase character, flow control...)
    the pty starts with, so a program behaves as it does in that terminal.
    ``tty_name`` is the program's side (``/dev/pts/N``).
    """

    def __init__(
        self,
        argv: Sequence[str],
        width: int,
        height: int,
        *,
        env: Mapping[str, str] | None = None,
        modes_from: int | None = None,
    ) -> None:
        self.argv = list(argv)
        self.env = child_env(env)
        executable = resolve(self.argv, self.env)
        master, slave = os.openpty()
        try:
            if modes_from is not None and os.isatty(modes_from):
                termios.tcsetattr(slave, termios.TCSANOW, termios.tcgetattr(modes_from))
            set_window_size(slave, width, height)
            path = self.tty_name = os.ttyname(slave)
            self.pid = os.posix_spawn(
                executable,
                self.argv,
                self.env,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, path, os.O_RDWR, 0),
                    (os.POSIX_SPAWN_DUP2, 0, 1),
                    (os.POSIX_SPAWN_DUP2, 0, 2),
                ],
                setsid=True,
                setsigdef=_DEFAULT_SIGNALS,
                setsigmask=(),
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            # The child has its own; holding ours would keep the pty open after the program exits.
            os.close(slave)
        os.set_blocking(master, False)
        self.master = master
        self.returncode: int | None = None
        self.pidfd: int | None = None
        if hasattr(os, "pidfd_open"):  # Linux 5.3+: the program's exit is a readable fd we can poll
            try:
                self.pidfd = os.pidfd_open(self.pid)
            except OSError as error:
                if error.errno not in (errno.ENOSYS, errno.EPERM):
                    raise
        self._closed = False

    # -- I/O ------------------------------------------------------------------
    def read(self, size: int) -> bytes | None:
        """Up to ``size`` bytes of output; None when there is none right now, b"" once nobody holds the pty."""
        try:
            return os.read(self.master, size)
        except BlockingIOError:
            return None
        except OSError as error:
            if error.errno == errno.EIO:  # Linux: every slave descriptor is closed
                return b""
            raise

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write what the pty takes now (its input queue may be full); how many bytes went."""
        try:
            return os.write(self.master, data)
        except BlockingIOError:
            return 0

    def resize(self, width: int, height: int) -> None:
        set_window_size(self.master, width, height)

    # -- lifetime -------------------------------------------------------------
    def poll(self) -> int | None:
        """The program's status (``waitstatus_to_exitcode``: negative for a signal) once it has exited."""
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None) -> int | None:
        """Wait up to ``timeout`` seconds (None: for ever) for the program to exit."""
        if self.poll() is not None or timeout is not None and timeout <= 0:
            return self.returncode
        if self.pidfd is not None:
            select.select([self.pidfd], [], [], timeout)
            return self.poll()
        if timeout is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode
        # Without pidfd (not Linux): poll the status a few times a second until the deadline.
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.returncode

    def signal_group(self, signum: int) -> bool:
        """Send ``signum`` to the program's process group (its session's first job); False if it is gone."""
        try:
            os.killpg(self.pid, signum)
        except ProcessLookupError:
            return False
        return True

    def terminate(self, grace: float = 1.0) -> int:
        """End the program as a closed terminal would: SIGHUP to its group, SIGKILL after ``grace``; reaped."""
        if self.poll() is None:
            self.signal_group(signal.SIGHUP)
            self.signal_group(signal.SIGCONT)  # a stopped job only dies of SIGHUP once continued
            if self.wait(grace) is None:
                self.signal_group(signal.SIGKILL)
                self.wait(None)
        else:
            # The program is gone; whatever it left running in its group goes with it.
            self.signal_group(signal.SIGHUP)
        assert self.returncode is not None
        return self.returncode

    def close(self) -> None:
        """Terminate (if still running) and release every descriptor; safe to call twice."""
        if self._closed:
            return
        try:
            self.terminate()
        finally:
            self._closed = True
            os.close(self.master)
            if self.pidfd is not None:
                os.close(self.pidfd)
