"""The ``replay`` source on recordings nobody here wrote: asciinema's own test casts and a fresh
``asciinema rec``; timing, idle limit, speed, loop, markers; bad files exit 2 naming the line."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from pathlib import Path

import glyphcast
import pytest
from glyphcast import Cue, OptionError, Stream, hookimpl, open_source
from glyphcast.displays import MemoryDisplay
from glyphcast.plugins import get_registry, load_registry, reset_registry
from glyphcast_record import AsciicastError

from .conftest import DATA, FakeClock, asciinema, glyphcast_cli, play


def cues(name: str, **options: object) -> list[Cue]:
    return list(open_source("replay", 80, 24, path=str(DATA / name), **options))


def shown(cue_list: list[Cue]) -> list[Cue]:
    return [c for c in cue_list if c.rows is not None]


def test_replay_is_registered_by_the_plugin_and_sized_by_the_header() -> None:
    assert "replay" in glyphcast.available_sources()
    assert get_registry().sources["replay"].plugin == "record"
    source = open_source("replay", 200, 100, path=str(DATA / "asciinema-full-v2.cast"))
    assert (source.width, source.height) == (100, 50)


def test_v2_cast_from_asciinema_plays_output_and_resize_and_skips_input() -> None:
    result = cues("asciinema-full-v2.cast")
    assert [c.at for c in result] == [0.000001, 1.0, 5.600001, 10.5]
    assert result[0].rows is not None and result[0].rows[0] == "ż"
    assert result[1].rows is not None and result[1].rows[0] == "żółć"
    assert result[2].size == (80, 40)
    assert result[2].rows is not None and len(result[2].rows) == 40
    assert result[3].rows is not None and result[3].rows[0] == "żółć"


def test_v3_cast_turns_intervals_into_times_and_gives_the_same_screens_as_v2() -> None:
    v3 = cues("asciinema-full-v3.cast")
    assert [round(c.at or 0, 6) for c in v3] == [0.000001, 1.000001, 2.900002, 13.400002]
    v2 = cues("asciinema-full-v2.cast")
    assert [c.rows for c in v3] == [c.rows for c in v2]
    assert [c.size for c in v3] == [c.size for c in v2]


def test_resizing_cast_resizes_the_screen_and_skips_the_exit_event() -> None:
    result = cues("player-resizing-v3.cast")
    assert [c.size for c in result] == [None, (100, 30), None, (50, 10), None]
    rows = result[-1].rows
    assert rows is not None and len(rows) == 10 and rows[0] == "hello world!"


def test_rgb_cast_becomes_truecolor_sgr_in_the_rebuilt_row() -> None:
    *_, last = cues("player-rgb-v3.cast")
    assert last.rows is not None
    assert last.rows[0] == "\x1b[0;38;2;254;220;186;48;2;18;52;86m◆▋\ue0b0\x1b[0m"


def test_frames_carry_the_programs_cursor_and_none_while_it_is_hidden(tmp_path: Path) -> None:
    path = tmp_path / "cursor.cast"
    path.write_text(
        '{"version": 2, "width": 6, "height": 2}\n[0.1, "o", "ab"]\n[0.2, "o", "\\u001b[2;4H"]\n'
        '[0.3, "o", "\\u001b[?25l"]\n[0.4, "r", "8x3"]\n[0.5, "o", "\\u001b[?25h\\u001b[H"]\n'
    )
    result = list(open_source("replay", 1, 1, path=str(path)))
    assert [c.cursor for c in result] == [(2, 0), (3, 1), None, None, (0, 0)]
    assert [c.rows for c in result][-1] == ("ab", "", "")


def test_idle_time_limit_caps_the_gaps_and_speed_divides_the_times() -> None:
    capped = cues("asciinema-full-v2.cast", idle_time_limit=2.0)
    assert [round(c.at or 0, 6) for c in capped] == [0.000001, 1.0, 3.0, 5.0]
    fast = cues("asciinema-full-v2.cast", speed=2.0, idle_time_limit="2")
    assert [round(c.at or 0, 6) for c in fast] == [0.0, 0.5, 1.5, 2.5]


def test_the_headers_idle_time_limit_applies_unless_the_option_overrides_it(tmp_path: Path) -> None:
    path = tmp_path / "idle.cast"
    path.write_text(
        '{"version": 2, "width": 4, "height": 1, "idle_time_limit": 1}\n[0, "o", "a"]\n[10, "o", "b"]\n'
    )
    assert [c.at for c in open_source("replay", 1, 1, path=str(path))] == [0.0, 1.0]
    assert [c.at for c in open_source("replay", 1, 1, path=str(path), idle_time_limit=3.0)] == [0.0, 3.0]


def test_loop_starts_again_on_a_fresh_screen_without_a_blank_frame_and_keeps_time_moving(
    tmp_path: Path,
) -> None:
    path = tmp_path / "loop.cast"
    path.write_text(
        '{"version": 2, "width": 4, "height": 1}\n[0.5, "o", "ab"]\n[1.0, "r", "6x1"]\n[1.2, "o", "c"]\n'
    )
    source = open_source("replay", 1, 1, path=str(path), loop="true")
    first = list(itertools.islice(source, 6))
    assert [(c.at, c.size, c.clear, c.rows) for c in first] == [
        (0.5, None, False, ("ab",)),
        (1.0, (6, 1), False, ("ab",)),
        (1.2, None, False, ("abc",)),
        # The next pass: its first frame brings the recording's own size back, on a fresh screen.
        (1.7, (4, 1), False, ("ab",)),
        (2.2, (6, 1), False, ("ab",)),
        (2.4, None, False, ("abc",)),
    ]
    assert all(any(row.strip() for row in c.rows or ("x",)) for c in first)  # never a blank frame


def test_markers_reach_displays_and_the_marker_hook(tmp_path: Path) -> None:
    path = tmp_path / "marks.cast"
    path.write_text(
        '{"version": 2, "width": 4, "height": 1}\n[0.1, "o", "a"]\n[0.2, "m", "chapter"]\n[0.3, "o", "b"]\n'
    )
    heard: list[str] = []

    class Listener:
        @hookimpl
        def marker(self, label: str, ts: float) -> None:
            heard.append(label)

    reset_registry(load_registry(extra_plugins=[("listener", Listener())]))
    try:
        memory = MemoryDisplay()
        with Stream([("memory", memory)]) as stream:
            stats = play(open_source("replay", 1, 1, path=str(path)), stream)
        assert memory.markers == ["chapter"]
        assert heard == ["chapter"]
        assert stats.frames == 2 and [f.rows[0] for f in memory.frames] == ["a", "ab"]
    finally:
        reset_registry()


def test_runner_waits_the_recorded_time_between_frames() -> None:
    clock = FakeClock()
    memory = MemoryDisplay()
    with Stream([("memory", memory)]) as stream:
        play(open_source("replay", 1, 1, path=str(DATA / "player-resizing-v3.cast")), stream, clock=clock)
    assert clock.now == pytest.approx(2.1)
    assert memory.last is not None and (memory.last.width, memory.last.height) == (50, 10)


def test_a_recording_made_by_asciinema_rec_replays_with_its_colours(tmp_path: Path) -> None:
    path = tmp_path / "rec.cast"
    command = (
        "printf '\\033[1;32mgreen bold\\033[0m plain\\r\\n\\033[38;5;208m256\\033[0m \\346\\274\\242\\r\\n'"
    )
    done = subprocess.run(
        [asciinema(), "rec", "-q", "--overwrite", "--cols", "30", "--rows", "5", "-c", command, str(path)],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    source = open_source("replay", 1, 1, path=str(path))
    assert (source.width, source.height) == (30, 5)
    last = shown(list(source))[-1]
    assert last.rows is not None
    assert last.rows[0] == "\x1b[0;1;32mgreen bold\x1b[0m plain"
    assert last.rows[1] == "\x1b[0;38;5;208m256\x1b[0m 漢"


# -- bad input ------------------------------------------------------------------


def test_missing_file_is_an_option_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(AsciicastError, match=r"nope\.cast: no such file"):
        open_source("replay", 80, 24, path=str(tmp_path / "nope.cast"))


def test_bad_options_are_refused_with_what_is_valid() -> None:
    path = str(DATA / "asciinema-full-v2.cast")
    with pytest.raises(OptionError, match="speed=0.0 must be a number > 0"):
        open_source("replay", 80, 24, path=path, speed=0.0)
    with pytest.raises(OptionError, match="idle_time_limit=-1.0"):
        open_source("replay", 80, 24, path=path, idle_time_limit=-1.0)
    with pytest.raises(OptionError, match="replay needs a recording"):
        open_source("replay", 80, 24)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("", "the file is empty"),
        (
            '{"version": 2, "width": 8, "height": 2}\n[0.5, "o", "a"]\n[oops\n[1, "o", "b"]\n',
            ":3: unreadable event",
        ),
    ],
    ids=["missing", "empty", "malformed"],
)
def test_cli_replay_of_a_bad_file_exits_2_naming_the_file_and_line(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "bad.cast"
    if content is not None:
        path.write_text(content)
    done = subprocess.run(
        [*glyphcast_cli(), "replay", str(path), "--display", "null"],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2, done.stderr
    assert str(path) in done.stderr and expected in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_replay_plays_a_recording_to_the_end_and_exits_0() -> None:
    if shutil.which("glyphcast") is None and not Path(glyphcast_cli()[0]).exists():
        pytest.fail("the glyphcast CLI is not installed")
    done = subprocess.run(
        [
            *glyphcast_cli(),
            "replay",
            str(DATA / "player-resizing-v3.cast"),
            "--speed",
            "20",
            "--display",
            "null",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr


def test_cli_replay_refuses_a_size_other_than_the_recordings_with_one_line_saying_why() -> None:
    """`--size` used to be ignored silently (the header's size won) while --help promised 80x24."""
    cast = str(DATA / "player-resizing-v3.cast")  # recorded at 80x24
    for command in (["replay", cast], ["run", "--source", f"replay:path={cast}"]):
        done = subprocess.run(
            [*glyphcast_cli(), *command, "--size", "40x10", "--display", "null"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert "--size 40x10" in lines[0] and "own size 80x24" in lines[0], lines[0]
    # The recording's own size is no contradiction: it plays.
    done = subprocess.run(
        [*glyphcast_cli(), "replay", cast, "--size", "80x24", "--speed", "20", "--display", "null"],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    # --help for replay promises no default it would not apply.
    text = subprocess.run(
        [*glyphcast_cli(), "replay", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "COLUMNS": "400"},
    ).stdout
    size_help = next(line for line in text.splitlines() if line.strip().startswith("--size"))
    assert "80x24" not in size_help and "own size" in size_help, size_help
    fps_help = next(line for line in text.splitlines() if line.strip().startswith("--fps"))
    assert "default 30" not in fps_help and "own timing" in fps_help, fps_help
