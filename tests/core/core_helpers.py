"""Helpers for core's tests: the CLI as a subprocess, in a pipe or in a real pty."""

from __future__ import annotations

import errno
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyte

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "glyphcast"]


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLYPHCAST_")}
    env.update(extra)
    return env


def run_cli(
    *args: str, timeout: float = 30, python: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
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


def screen_after(*chunks: str, columns: int = 10, lines: int = 4) -> pyte.Screen:
    """A pyte screen of ``columns`` x ``lines`` after feeding it ``chunks`` (what a terminal would show)."""
    screen = pyte.Screen(columns, lines)
    stream = pyte.Stream(screen)
    for chunk in chunks:
        stream.feed(chunk)
    return screen
