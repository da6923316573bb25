"""Replay shows what a real terminal shows: recordings of vim, less, top and a shell, made
here with the real ``asciinema rec`` or taken from asciinema's own tests, replayed and
compared with tmux fed the same output at the same size, at the end and on the way.

pyte, replay's emulator before glyphcast.vt, has no alternate screen: a vim or less
session ended on the program's screen instead of the shell's (pyte issue 90).
"""

from __future__ import annotations

import os
import subprocess
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import pytest
from glyphcast import Cue, open_source
from glyphcast.text import strip_ansi
from glyphcast_record import read_recording
from glyphcast_record.asciicast import parse_size
from reference_terminal import steps_in_tmux

from .conftest import BLANK, DATA, Cell, asciinema, frame_cells, stream_cells


def plain(rows: Sequence[str]) -> list[str]:
    """Rows as text, composed the same way (tmux keeps "e" + U+0301, replay writes "é")."""
    return [unicodedata.normalize("NFC", strip_ansi(row).rstrip()) for row in rows]


def replay_against_tmux(path: Path, checkpoints: int = 12) -> list[Cue]:
    """Replay ``path`` and compare it with tmux after every resize, at ``checkpoints``
    evenly spread output events, and after the last one: text, cursor, every cell.
    Returns replay's cues with rows (one per output or resize event)."""
    recording = read_recording(path)
    events = [e for e in recording.events if e.code in ("o", "r")]
    cues = [c for c in open_source("replay", 1, 1, path=str(path)) if c.rows is not None]
    assert len(cues) == len(events)
    last = len(events) - 1
    chosen = {round(i * last / max(1, checkpoints - 1)) for i in range(checkpoints)} | {last}

    size = (recording.header.width, recording.header.height)
    steps: list[bytes | tuple[int, int]] = []
    compared: list[tuple[int, int, tuple[int, int]]] = []  # (step, cue, size then)
    pending = b""
    for index, event in enumerate(events):
        if event.code == "r":
            if pending:
                steps.append(pending)
                pending = b""
            size = parse_size(event.data)
            steps.append(size)
            compared.append((len(steps) - 1, index, size))
            continue
        pending += event.data.encode()
        if index in chosen:
            steps.append(pending)
            pending = b""
            compared.append((len(steps) - 1, index, size))

    shown = steps_in_tmux(steps, recording.header.width, recording.header.height)
    for step, index, (width, height) in compared:
        cue, tmux = cues[index], shown[step]
        assert cue.rows is not None
        where = f"{path.name}, event {index + 1} of {len(events)}"
        assert plain(cue.rows) == plain(tmux.screen), f"{where}: text differs from tmux"
        col, row = tmux.cursor
        assert cue.cursor == ((min(col, width - 1), row) if tmux.cursor_visible else None), f"{where}: cursor"
        difference = cell_difference(frame_cells(cue.rows, width, height), stream_cells(tmux.styled, width, height))
        assert difference is None, f"{where}: {difference}"
    return cues


def cell_difference(ours: list[list[Cell]], tmux: list[list[Cell]]) -> str | None:
    """Where the two screens' cells differ, except where tmux's capture cannot say: a space
    erased with a background colour (vim clears its screen with its own; terminals and tmux
    fill it, ``capture-pane -e`` reports it blank)."""
    for y, (row_a, row_b) in enumerate(zip(ours, tmux, strict=True)):
        for x, (a, b) in enumerate(zip(row_a, row_b, strict=True)):
            if a != b and not (a[0] == " " and b == BLANK):
                return f"row {y} col {x}: ours {a} != tmux {b}"
    return None


def record(path: Path, command: str, keys: Sequence[tuple[float, bytes]], size: tuple[int, int]) -> Path:
    """``asciinema rec`` of ``command`` at ``size``, typing ``keys`` ((pause, bytes) each) into it."""
    env = {k: v for k, v in os.environ.items() if k not in ("LESS", "LESSOPEN", "VIMINIT", "MYVIMRC")}
    env.update(TERM="xterm-256color", SHELL="/bin/sh")
    with open(path.with_suffix(".err"), "w+b") as errors:
        proc = subprocess.Popen(
            [asciinema(), "rec", "-q", "--overwrite", "--cols", str(size[0]), "--rows", str(size[1]), "-c", command,
             str(path)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors, env=env, cwd=path.parent,
        )
        assert proc.stdin is not None
        try:
            for pause, data in keys:  # asciinema passes what it reads to the program's terminal
                time.sleep(pause)
                proc.stdin.write(data)
                proc.stdin.flush()
            proc.stdin.close()
            proc.wait(timeout=30)
        finally:
            proc.kill()
        errors.seek(0)
        message = errors.read().decode(errors="replace")[-2000:]
    assert proc.returncode == 0, f"asciinema rec -c {command!r} failed: {message}"
    return path


# -- recordings nobody here wrote ----------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["asciinema-full-v2.cast", "asciinema-full-v3.cast", "player-resizing-v3.cast", "player-rgb-v3.cast",
     "asciinema-demo-vim-v2.cast"],
)
def test_shared_casts_replay_through_the_screens_tmux_shows(name: str) -> None:
    replay_against_tmux(DATA / name, checkpoints=100)


def test_asciinema_demo_of_vim_ends_on_the_shell_prompt_not_on_vims_screen() -> None:
    """Failed with pyte: the last frame was vim's start screen with the prompt drawn over it."""
    cues = replay_against_tmux(DATA / "asciinema-demo-vim-v2.cast", checkpoints=100)
    assert any("VIM - Vi IMproved" in row for c in cues for row in plain(c.rows or ())), "vim was on screen"
    last = plain(cues[-1].rows or ())
    assert last[:2] == ["~/c/a/asciinema (develop ↩☡=) vim", "~/c/a/asciinema (develop ↩☡=)"]
    assert last[2:] == [""] * 16


# -- recordings made here with asciinema rec ---------------------------------------------


def test_a_vim_session_replays_to_tmuxs_screens_and_ends_back_in_the_shell(tmp_path: Path) -> None:
    command = ("sh -c 'printf \"\\033[1;32mbefore\\033[0m vim\\n\"; vim -u NONE -i NONE -N notes.txt; "
               "echo after vim'")
    keys = [(0.5, b"ihello from vim"), (0.3, b"\x1b"), (0.3, b":wq\r")]
    cast = record(tmp_path / "vim.cast", command, keys, (60, 12))
    assert (tmp_path / "notes.txt").read_text() == "hello from vim\n", "vim really ran and got the keys"
    cues = replay_against_tmux(cast)
    assert any(plain(c.rows or ())[0] == "hello from vim" and "~" in plain(c.rows or ()) for c in cues), \
        "vim's own screen showed on the way"
    last = plain(cues[-1].rows or ())
    assert last[0] == "before vim" and "after vim" in last and "~" not in last
    assert cues[-1].rows is not None and cues[-1].rows[0].startswith("\x1b[0;1;32mbefore")


def test_a_less_session_replays_to_tmuxs_screens_and_ends_back_in_the_shell(tmp_path: Path) -> None:
    command = "sh -c 'echo before less; seq -f \"line %g\" 1 100 | less; echo after less'"
    keys = [(0.5, b" "), (0.3, b"G"), (0.3, b"q")]
    cast = record(tmp_path / "less.cast", command, keys, (60, 12))
    cues = replay_against_tmux(cast)
    assert any(plain(c.rows or ())[-1] == "(END)" for c in cues), "less's last page showed on the way"
    last = plain(cues[-1].rows or ())
    assert last[:2] == ["before less", "after less"] and not any("line" in row for row in last)


def test_top_replays_to_tmuxs_screens(tmp_path: Path) -> None:
    cast = record(tmp_path / "top.cast", "top -n 3 -d 0.3", [], (80, 20))
    cues = replay_against_tmux(cast)
    assert any(row.startswith("top - ") for c in cues for row in plain(c.rows or ()))


def test_a_shell_with_a_coloured_prompt_replays_to_tmuxs_screens(tmp_path: Path) -> None:
    command = "env PS1='\\[\\e[1;34m\\]demo\\[\\e[0m\\] \\$ ' bash --norc --noprofile -i"
    keys = [(0.5, b"printf '\\e[38;5;208m256\\e[0m \\e[38;2;1;200;3mtrue\\e[0m \\xe6\\xbc\\xa2\\n'\r"),
            (0.3, b"seq 1 15\r"), (0.3, b"exit\r")]
    cast = record(tmp_path / "shell.cast", command, keys, (40, 10))
    cues = replay_against_tmux(cast)
    assert "\x1b[0;38;5;208m256\x1b[0m \x1b[0;38;2;1;200;3mtrue\x1b[0m 漢" in [
        row for c in cues for row in c.rows or ()
    ]
