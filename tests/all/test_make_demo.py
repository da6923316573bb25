"""``make demo`` stops cleanly on Ctrl-C and SIGTERM: no "make: *** ... Error 143" line.

This runs the Makefile's real ``demo`` recipe. ``DEMO_DEPS=`` skips its
prerequisites (the .venv and the viewer build, which tox envs do not have) and
``GLYPHCAST=`` points it at this env's ``glyphcast``; the recipe itself, the part
that decides what make prints, is the one a user runs.

Make ends by the signal it was sent (it re-raises it, as every well-behaved
program does), so its status is -SIGTERM / -SIGINT, never "Error": what the user
must not see is make's error line, and the server must be gone.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed"),
]

ROOT = Path(__file__).resolve().parents[2]
GLYPHCAST = Path(sys.executable).parent / "glyphcast"


def run_demo_and_signal(sig: signal.Signals, *, whole_group: bool) -> tuple[int, str]:
    """Start ``make demo`` on a free port, wait for the viewer's address, send ``sig``; (status, stderr)."""
    process = subprocess.Popen(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(ROOT),
            "demo",
            "DEMO_DEPS=",
            f"GLYPHCAST={GLYPHCAST}",
            "PORT=0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    assert process.stderr is not None
    seen = []
    try:
        for line in process.stderr:
            seen.append(line)
            if "serving http://" in line:
                break
        else:
            pytest.fail(f"make demo never served: {''.join(seen)}")
        if whole_group:  # Ctrl-C in a terminal, or kill -- -PGID: make, the shell and glyphcast all get it
            os.killpg(process.pid, sig)
        else:  # kill PID_OF_MAKE: make passes SIGTERM on to its recipe
            os.kill(process.pid, sig)
        _, rest = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, "".join(seen) + rest


def test_make_demo_says_where_the_glyphcast_command_is_before_it_serves() -> None:
    """.venv/bin is on nobody's PATH: without this line, the docs' next command fails with "command not found"."""
    _, stderr = run_demo_and_signal(signal.SIGINT, whole_group=True)
    lines = stderr.splitlines()
    assert lines[0] == (
        f"glyphcast: the command is {GLYPHCAST}; to type just glyphcast, run . .venv/bin/activate in your shell "
        "(another port: make demo PORT=N)"
    ), stderr
    assert any("serving http://127.0.0.1:" in line for line in lines[1:]), stderr  # maybe after "not built"


@pytest.mark.parametrize(
    ("sig", "whole_group"),
    [(signal.SIGINT, True), (signal.SIGTERM, True), (signal.SIGTERM, False)],
    ids=["ctrl-c", "sigterm-to-group", "sigterm-to-make"],
)
def test_make_demo_stops_without_an_error_line(sig: signal.Signals, whole_group: bool) -> None:
    status, stderr = run_demo_and_signal(sig, whole_group=whole_group)
    assert "make: ***" not in stderr, stderr
    assert "Error" not in stderr, stderr
    assert status in (0, -sig), f"make ended with {status}: {stderr}"
    assert "Traceback" not in stderr, stderr
