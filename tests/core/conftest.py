"""Fixtures for core's tests: a fresh plugin registry per test, and the CLI on a real pty."""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import termios
from collections.abc import Callable, Iterator

import pytest
from core_helpers import CLI, ROOT, PtyRun, cli_env
from glyphcast.plugins import reset_registry


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    """Each test sees the plugins as installed, not a registry another test built."""
    reset_registry()
    yield
    reset_registry()


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
