"""Helpers for the pty tests: a source watched on a thread, the CLI on a real terminal, screens as text."""

from __future__ import annotations

import errno
import os
import select
import shutil
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from glyphcast import Cue
from glyphcast.text import SGR
from glyphcast_pty.process import PtyProcess

ROOT = Path(__file__).resolve().parents[2]

Screen = list[str]


def plain(rows: Iterable[str]) -> Screen:
    """Rows as the text they show: SGR codes dropped, trailing blanks dropped."""
    return [SGR.sub("", row).rstrip() for row in rows]


def show(screen: Screen) -> str:
    return "\n".join(f"{i:2}|{row}" for i, row in enumerate(screen))


def program_env(**extra: str) -> dict[str, str]:
    """A quiet, predictable environment for programs (the same in our pty and in tmux)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLYPHCAST_", "LESS", "VIM"))}
    env.update(LESSHISTFILE="-", LANG="C.UTF-8", LC_ALL="C.UTF-8", HOME=env.get("HOME", "/tmp"))
    env.update(extra)
    return env


class Watch:
    """A source iterated on its own thread: every cue is kept; tests wait for what the screen shows."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.cues: list[Cue] = []
        self.error: BaseException | None = None
        self.done = False
        self.cpu_seconds = 0.0
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        started = time.thread_time()
        try:
            for cue in self.source:
                with self._changed:
                    self.cues.append(cue)
                    self._changed.notify_all()
        except BaseException as error:  # reported by the waits, not lost in a thread
            self.error = error
        finally:
            self.cpu_seconds = time.thread_time() - started
            with self._changed:
                self.done = True
                self._changed.notify_all()

    @property
    def frames(self) -> list[Cue]:
        return [cue for cue in self.cues if cue.rows is not None]

    def screen(self) -> Screen:
        """What the last frame shows (blank before the first)."""
        frames = self.frames
        if not frames:
            return [""] * self.source.height
        assert frames[-1].rows is not None  # self.frames are the cues with rows
        return plain(frames[-1].rows)

    def wait_for(self, predicate: Callable[[Screen], bool], timeout: float = 10.0) -> Screen:
        """The screen, once ``predicate(screen)`` holds; fails with the last screen if it never does."""
        with self._changed:
            ok = self._changed.wait_for(lambda: predicate(self.screen()) or self.done, timeout)
            if self.error is not None:
                raise AssertionError(f"the source failed: {self.error!r}") from self.error
            if not ok or not predicate(self.screen()):
                raise AssertionError(
                    f"the frames never showed what was expected; last screen:\n{show(self.screen())}"
                )
            return self.screen()

    def wait_done(self, timeout: float = 10.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self.done, timeout):
                raise AssertionError(f"the source did not end; last screen:\n{show(self.screen())}")
        self._thread.join()
        if self.error is not None:
            raise AssertionError(f"the source failed: {self.error!r}") from self.error


def glyphcast_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "glyphcast", *args]


def asciinema() -> str:
    """The asciinema 2.x CLI installed next to this Python (the pty tox env installs it)."""
    exe = Path(sys.executable).with_name("asciinema")
    found = str(exe) if exe.exists() else shutil.which("asciinema")
    if found is None:
        pytest.fail("the asciinema CLI is not installed: pip install 'asciinema>=2.4,<3' (tox -e pty does)")
    return found


def asciinema_cat(path: Path) -> bytes:
    done = subprocess.run(
        [asciinema(), "cat", str(path)], capture_output=True, stdin=subprocess.DEVNULL, timeout=30
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout


class Terminal:
    """A person at a real terminal running a command: a pty whose slave is the command's controlling
    terminal (so resizing it sends SIGWINCH), read from and typed into on the master side."""

    def __init__(
        self, argv: list[str], width: int = 80, height: int = 24, env: dict[str, str] | None = None
    ) -> None:
        self.width, self.height = width, height
        self.process = PtyProcess(argv, width, height, env=env or program_env())
        os.set_blocking(self.process.master, True)
        # Our own handle on the command's side, to read its terminal modes (raw or not) as it sets them.
        self.slave = os.open(self.process.tty_name, os.O_RDWR | os.O_NOCTTY)
        self.output = bytearray()

    def modes(self) -> list[Any]:
        return termios.tcgetattr(self.slave)

    def type(self, data: str | bytes) -> None:
        os.write(self.process.master, data.encode() if isinstance(data, str) else data)

    def resize(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.process.resize(width, height)

    def _read_some(self, wait: float) -> bool:
        ready, _, _ = select.select([self.process.master], [], [], wait)
        if not ready:
            return False
        try:
            data = os.read(self.process.master, 65536)
        except OSError as error:  # EIO: the command and everything it started closed the terminal
            if error.errno != errno.EIO:
                raise
            return False
        self.output += data
        return bool(data)

    def read_until(self, done: Callable[[bytes], bool], timeout: float = 20.0, copy: bool = True) -> bytes:
        """Read until ``done(output so far)``; ``copy=False`` passes b"" (``done`` reads :attr:`output` itself)."""
        deadline = time.monotonic() + timeout

        def check() -> bool:
            return done(bytes(self.output) if copy else b"")

        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; terminal output so far: {bytes(self.output)[-800:]!r}")
            if not self._read_some(0.1) and self.process.poll() is not None:
                self._read_some(0.1)
                if not check():
                    raise AssertionError(
                        f"exited {self.process.returncode} early; output: {bytes(self.output)[-800:]!r}"
                    )
        return bytes(self.output)

    def wait_for_text(self, text: str, timeout: float = 20.0) -> None:
        """Read until ``text`` appears; each read is searched once (a flood of output stays linear)."""
        needle = text.encode()
        searched = 0

        def found(_: bytes) -> bool:
            nonlocal searched
            hit = self.output.find(needle, max(0, searched - len(needle))) >= 0
            searched = len(self.output)
            return hit

        self.read_until(found, timeout, copy=False)

    def finish(self, timeout: float = 20.0) -> int:
        """Read everything until the command exits; its exit status."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"did not exit; output: {bytes(self.output)[-800:]!r}")
            self._read_some(0.05)
        while self._read_some(0.05):
            continue
        status = self.process.returncode
        assert status is not None
        return status

    def text(self) -> str:
        return self.output.decode("utf-8", "replace")

    def close(self) -> None:
        os.close(self.slave)
        self.process.close()
