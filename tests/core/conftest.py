"""Helpers for core's tests: the CLI as a subprocess, in a pipe or in a real pty."""

from __future__ import annotations

import errno
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyte
import pytest

from glyphcast.plugins import reset_registry

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "glyphcast"]


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    """Each test sees the plugins as installed, not a registry another test built."""
    reset_registry()
    yield
    reset_registry()


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLYPHCAST_")}
    env.update(extra)
    return env


def run_cli(*args: str, timeout: float = 30, python: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """``glyphcast ARGS`` with stdout/stderr captured (so stdout is not a terminal)."""
    command = [python or sys.executable, "-m", "glyphcast", *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=cli_env(**env), stdin=subprocess.DEVNULL
    )


@dataclass
class PtyRun:
    """A process on the slave side of a real pseudo-terminal, its output read from the master."""

    proc: subprocess.Popen[bytes]
    master: int
    output: bytearray

    def read_until(self, done: Callable[[bytes], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not done(bytes(self.output)):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; output so far: {bytes(self.output)[-600:]!r}")
            if not self._read_some(0.1) and self.proc.poll() is not None:
                self._read_some(0.1)
                if not done(bytes(self.output)):
                    raise AssertionError(
                        f"exited {self.proc.returncode} early; output: {bytes(self.output)[-600:]!r}"
                    )

    def _read_some(self, wait: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError as error:  # EIO: every slave fd closed, the process is gone
            if error.errno != errno.EIO:
                raise
            return False
        self.output += data
        return bool(data)

    def finish(self, timeout: float = 20.0) -> int:
        """Read everything until the process exits; its exit status."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"did not exit; output: {bytes(self.output)[-600:]!r}")
            self._read_some(0.05)
        while self._read_some(0.05):
            pass
        return self.proc.returncode

    def screen(self, columns: int = 80, lines: int = 24) -> pyte.Screen:
        screen = pyte.Screen(columns, lines)
        pyte.ByteStream(screen).feed(bytes(self.output))
        return screen


@pytest.fixture
def in_pty() -> Iterator[Callable[..., PtyRun]]:
    """Start ``glyphcast ARGS`` on a real 80x24 pty (stdin, stdout and stderr)."""
    runs: list[PtyRun] = []

    def start(*args: str, columns: int = 80, lines: int = 24, command: list[str] | None = None) -> PtyRun:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        proc = subprocess.Popen(
            command or [*CLI, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=cli_env(TERM="xterm-256color"),
            start_new_session=True,
            cwd=ROOT,
        )
        os.close(slave)
        run = PtyRun(proc, master, bytearray())
        runs.append(run)
        return run

    yield start
    for run in runs:
        if run.proc.poll() is None:
            os.killpg(run.proc.pid, signal.SIGKILL)
            run.proc.wait()
        os.close(run.master)
