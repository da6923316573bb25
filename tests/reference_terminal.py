"""A real terminal to compare against: tmux, on a private server, read with ``capture-pane``.

What glyphcast's emulator shows for some terminal output (a replayed cast, a
shared program) is right when it equals what tmux shows for the same bytes or
the same program at the same size. Shared by every test env that needs it
(pytest's ``pythonpath`` puts ``tests/`` on the path).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pytest

# No status line (the pane gets every row), nothing between the program and the pane.
CONFIG = "set -g status off\nset -g escape-time 0\nset -g default-terminal tmux-256color\n"


def tmux_or_skip() -> str:
    """The tmux binary, or fail the test with how to get it (CI installs it with apt)."""
    found = shutil.which("tmux")
    if found is None:
        pytest.fail("tmux is not installed (apt-get install tmux; .ci/run installs it)")
    return found


class Tmux:
    """A private tmux server (its own socket) with one pane of ``width`` x ``height``.

    ``with Tmux(80, 24) as tmux: tmux.start("vim -u NONE"); tmux.send_keys("ihello", "Escape")``
    then ``tmux.screen()`` is the pane's text, one string per row, trailing blanks dropped.
    """

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.binary = tmux_or_skip()
        self.socket = f"glyphcast-ref-{uuid.uuid4().hex[:12]}"
        self._dir = tempfile.TemporaryDirectory(prefix="glyphcast-tmux-")
        self.config = Path(self._dir.name) / "tmux.conf"
        self.config.write_text(CONFIG)

    def __enter__(self) -> Tmux:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            [self.binary, "-L", self.socket, "-f", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def start(self, command: str, env: dict[str, str] | None = None) -> None:
        """Run ``command`` (a shell command line) in the pane."""
        extra = [arg for name, value in (env or {}).items() for arg in ("-e", f"{name}={value}")]
        self.tmux(
            "new-session", "-d", "-s", "ref", "-x", str(self.width), "-y", str(self.height), *extra, command
        )

    def resize(self, width: int, height: int) -> None:
        """Resize the pane (its window), as a terminal window being resized."""
        self.tmux("resize-window", "-t", "ref", "-x", str(width), "-y", str(height))
        self.width, self.height = width, height

    def send_keys(self, *keys: str, literal: bool = False) -> None:
        """tmux key names ("Escape", "C-c", "Enter") or, with ``literal``, text typed as is."""
        self.tmux("send-keys", "-t", "ref", *(["-l"] if literal else []), *keys)

    def screen(self) -> list[str]:
        """The pane's rows, as text, trailing blanks dropped; always ``height`` rows."""
        text = self.tmux("capture-pane", "-p", "-t", "ref")
        rows = [row.rstrip() for row in text.split("\n")[: self.height]]
        return rows + [""] * (self.height - len(rows))

    def styled(self) -> list[str]:
        """The pane's rows with their colours and styles as SGR (``capture-pane -e``), trailing blanks
        kept (a coloured blank is visible); ``height`` rows. The SGR state carries over from one
        row to the next (tmux writes it for a terminal to take in one go): read the rows as one
        stream, joined with CRLF. Cells erased with a background colour come back blank."""
        text = self.tmux("capture-pane", "-p", "-e", "-N", "-t", "ref")
        rows = text.split("\n")[: self.height]
        return rows + [""] * (self.height - len(rows))

    def cursor(self) -> tuple[int, int]:
        """(col, row) of the pane's cursor, 0-based. After a write to the last column
        (pending wrap) tmux reports col == width; a terminal draws it on the last cell."""
        col, row = self.tmux("display-message", "-p", "-t", "ref", "#{cursor_x},#{cursor_y}").split(",")
        return int(col), int(row)

    def cursor_visible(self) -> bool:
        """False while the program hides the cursor (DECTCEM, ``CSI ?25l``)."""
        return self.tmux("display-message", "-p", "-t", "ref", "#{cursor_flag}").strip() == "1"

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float = 10.0) -> list[str]:
        """Poll the screen until ``predicate(screen)``; fail with the last screen if it never holds."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.screen()
            if predicate(rows):
                return rows
            if time.monotonic() > deadline:
                shown = "\n".join(rows)
                raise AssertionError(f"tmux never showed what was expected; last screen:\n{shown}")
            time.sleep(0.05)

    def close(self) -> None:
        self.tmux("kill-server", check=False)
        self._dir.cleanup()


@dataclass(frozen=True)
class Shown:
    """What tmux shows: plain rows, the same rows with SGR, the cursor and whether it is drawn."""

    screen: list[str]
    styled: list[str]
    cursor: tuple[int, int]
    cursor_visible: bool


# The pane's side of steps_in_tmux: for each "go", write the next file to the terminal,
# then ask for a status report (DSR 5) and read up to its answer: tmux answers only
# after it has drawn everything written before the question, so "done" means drawn.
# (Not DSR 6: recordings ask for the cursor position themselves, and tmux's answers
# to those come first.) No echo, so the answers stay off the screen.
PANE_SCRIPT = """stty -opost -echo -icanon min 1 2>/dev/null
i=0
while "$TMUX_BIN" -L "$SOCKET" wait-for go; do
  cat "$STEPS/$i"
  printf '\\033[5n'
  while IFS= read -rsd n reply; do case "$reply" in *'[0') break;; esac; done
  "$TMUX_BIN" -L "$SOCKET" wait-for -S done
  i=$((i+1))
done
"""


def steps_in_tmux(steps: Sequence[bytes | tuple[int, int]], width: int, height: int) -> list[Shown]:
    """What tmux shows after each step, starting at ``width`` x ``height``: a step is
    bytes written to the terminal or a ``(width, height)`` resize (tmux rewraps lines)."""
    shown = []
    with Tmux(width, height) as tmux, tempfile.TemporaryDirectory(prefix="glyphcast-steps-") as folder:
        writes = [step for step in steps if isinstance(step, bytes)]
        for index, data in enumerate(writes):
            Path(folder, str(index)).write_bytes(data)
        script = Path(folder, "pane.sh")
        script.write_text(PANE_SCRIPT)
        tmux.start(f"bash {script}", env={"TMUX_BIN": tmux.binary, "SOCKET": tmux.socket, "STEPS": folder})
        for step in steps:
            if isinstance(step, bytes):
                tmux.tmux("wait-for", "-S", "go")
                tmux.tmux("wait-for", "done")
            else:
                tmux.resize(*step)
            shown.append(Shown(tmux.screen(), tmux.styled(), tmux.cursor(), tmux.cursor_visible()))
    return shown


def output_in_tmux(data: bytes, width: int, height: int) -> Shown:
    """What tmux shows after ``data`` is written to a ``width`` x ``height`` terminal."""
    return steps_in_tmux([data], width, height)[0]


def screen_of_output(data: bytes, width: int, height: int) -> list[str]:
    """The text tmux shows after ``data`` is written to a ``width`` x ``height`` terminal."""
    return output_in_tmux(data, width, height).screen
