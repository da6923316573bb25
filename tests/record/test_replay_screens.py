"""Replay shows what a real terminal shows: recordings of vim, less, top and a shell, made
here with the real ``asciinema rec`` or taken from asciinema's own tests, replayed and
compared with tmux fed the same output at the same size, at the end and on the way.

pyte, replay's emulator before glyphcast.vt, has no alternate screen: a vim or less
session ended on the program's screen instead of the shell's (pyte issue 90).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import pytest
from glyphcast import Cue, Stream, open_display, open_source
from glyphcast.text import strip_ansi
from glyphcast_record import read_recording
from glyphcast_record.asciicast import parse_size
from reference_terminal import steps_in_tmux

from .conftest import BLANK, DATA, Cell, asciinema, frame_cells, play, stream_cells


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
        difference = cell_difference(
            frame_cells(cue.rows, width, height), stream_cells(tmux.styled, width, height)
        )
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
            [
                asciinema(),
                "rec",
                "-q",
                "--overwrite",
                "--cols",
                str(size[0]),
                "--rows",
                str(size[1]),
                "-c",
                command,
                str(path),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=env,
            cwd=path.parent,
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
    [
        "asciinema-full-v2.cast",
        "asciinema-full-v3.cast",
        "player-resizing-v3.cast",
        "player-rgb-v3.cast",
        "asciinema-demo-vim-v2.cast",
    ],
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


# A session in vim and one in less, each between two lines of a shell: (command, keys, size).
VIM = (
    "sh -c 'printf \"\\033[1;32mbefore\\033[0m vim\\n\"; vim -u NONE -i NONE -N notes.txt; echo after vim'",
    [(0.5, b"ihello from vim"), (0.3, b"\x1b"), (0.3, b":wq\r")],
    (60, 12),
)
LESS = (
    "sh -c 'echo before less; seq -f \"line %g\" 1 100 | less; echo after less'",
    [(0.5, b" "), (0.3, b"G"), (0.3, b"q")],
    (60, 12),
)
SESSIONS = {"vim": VIM, "less": LESS}


def test_a_vim_session_replays_to_tmuxs_screens_and_ends_back_in_the_shell(tmp_path: Path) -> None:
    cast = record(tmp_path / "vim.cast", *VIM)
    assert (tmp_path / "notes.txt").read_text() == "hello from vim\n", "vim really ran and got the keys"
    cues = replay_against_tmux(cast)
    assert any(plain(c.rows or ())[0] == "hello from vim" and "~" in plain(c.rows or ()) for c in cues), (
        "vim's own screen showed on the way"
    )
    last = plain(cues[-1].rows or ())
    assert last[0] == "before vim" and "after vim" in last and "~" not in last
    assert cues[-1].rows is not None and cues[-1].rows[0].startswith("\x1b[0;1;32mbefore")


def test_a_less_session_replays_to_tmuxs_screens_and_ends_back_in_the_shell(tmp_path: Path) -> None:
    cast = record(tmp_path / "less.cast", *LESS)
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
    keys = [
        (0.5, b"printf '\\e[38;5;208m256\\e[0m \\e[38;2;1;200;3mtrue\\e[0m \\xe6\\xbc\\xa2\\n'\r"),
        (0.3, b"seq 1 15\r"),
        (0.3, b"exit\r"),
    ]
    cast = record(tmp_path / "shell.cast", command, keys, (40, 10))
    cues = replay_against_tmux(cast)
    assert "\x1b[0;38;5;208m256\x1b[0m \x1b[0;38;2;1;200;3mtrue\x1b[0m 漢" in [
        row for c in cues for row in c.rows or ()
    ]


# -- replays recorded again keep the program's cursor ---------------------------------------


def replay_into_record(original: Path, copy: Path, version: int) -> Path:
    """What ``glyphcast replay ORIGINAL --display record:path=COPY,format=vVERSION`` writes (on a fake clock)."""
    recorder = open_display("record", path=str(copy), format=f"v{version}")
    with Stream([("record", recorder)]) as stream:
        play(open_source("replay", 1, 1, path=str(original)), stream)
        assert all(a.active for a in stream.displays), stream.status()
    return copy


@pytest.mark.parametrize("version", [2, 3])
def test_a_cast_that_moves_the_cursor_back_recorded_again_ends_on_the_same_cell(
    tmp_path: Path, version: int
) -> None:
    """Before: the recording ended after its last repainted row ("abc" then one cell back ended at col 3)."""
    original = tmp_path / "back.cast"
    events = [
        [0.1, "o", "$ abc"],
        [0.2, "o", "\x1b[D"],
        [0.3, "o", "\r\n\x1b[?25l$ hidden"],
        [0.4, "o", "\x1b[?25h"],
    ]
    original.write_text(
        "\n".join(json.dumps(e) for e in [{"version": 2, "width": 20, "height": 3}, *events]) + "\n"
    )
    copy = replay_into_record(original, tmp_path / "copy.cast", version)
    assert read_recording(copy).header.version == version
    theirs = replay_against_tmux(original, checkpoints=len(events))
    ours = replay_against_tmux(copy, checkpoints=len(events))
    assert [c.cursor for c in theirs] == [(5, 0), (4, 0), None, (8, 1)]
    assert [c.cursor for c in ours] == [c.cursor for c in theirs]


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The vim and the less session, each recorded once with ``asciinema rec``."""
    folder = tmp_path_factory.mktemp("sessions")
    return {name: record(folder / f"{name}.cast", *session) for name, session in SESSIONS.items()}


@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize("program", ["vim", "less"])
def test_a_replay_of_a_real_session_recorded_again_has_the_programs_cursor_on_every_screen(
    sessions: dict[str, Path], tmp_path: Path, program: str, version: int
) -> None:
    """Replayed into ``record`` (v2 and v3), then played on tmux: after every event the cursor is
    where tmux has it for the original output (hidden where the program hid it)."""
    copy = replay_into_record(sessions[program], tmp_path / f"{program}-v{version}.cast", version)
    assert read_recording(copy).header.version == version
    theirs = replay_against_tmux(sessions[program], checkpoints=100)
    ours = replay_against_tmux(copy, checkpoints=100)
    assert len(ours) == len(theirs)
    for number, (mine, original) in enumerate(zip(ours, theirs, strict=True)):
        assert mine.cursor == original.cursor, f"{program}, event {number + 1} of {len(theirs)}"
    assert ours[-1].cursor is not None
