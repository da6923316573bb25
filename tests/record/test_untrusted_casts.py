"""A recording is input from outside: its sizes, its output and its labels are checked like a client's.

The red team's 155-byte cast whose header said 5000x5000 cost 1.8 GB; 100000x100000
(in the header or an ``r`` event) aborted the process (exit 134). Replayed output
and marker labels reached recordings raw, and ``record:overwrite=true`` wrote
through a symlink to whatever it pointed at.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
from pathlib import Path

import pytest
from glyphcast import Stream
from glyphcast.displays import MemoryDisplay
from glyphcast.protocol import MAX_SIDE
from glyphcast_record import RecordDisplay
from glyphcast_record.recorder import RecordingError
from glyphcast_record.replay import open_replay

from .conftest import glyphcast_cli, play

#: More than a replay needs, far less than what the red team's casts cost: a bomb fails here, not the machine.
MEMORY_LIMIT = 1024 * 1024 * 1024
SGR = re.compile(r"\x1b\[[0-9;:]*m")
#: What glyphcast's own painter writes besides SGR: row positions, erase to end, home, clear, cursor.
OWN_SEQUENCES = re.compile(r"\x1b\[\d+;\d+H|\x1b\[K|\x1b\[H|\x1b\[2J|\x1b\[\?25[hl]")
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ATTACK = (
    "\x1b]0;pwned\x07\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07\x1b[6n\x1b[c\x1bP$qm\x1b\\x\u202ey\x7fz\u2066w\x9b6n"
)


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def replay_cli(path: Path, *display: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*glyphcast_cli(), "replay", str(path), "--speed", "100", "--display", *(display or ("null",))],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        preexec_fn=limited,
    )


def only_painting(data: str) -> bool:
    """An ``o`` event glyphcast wrote: its own positioning and erasing, SGR and text, nothing else."""
    text = SGR.sub("", OWN_SEQUENCES.sub("", data))
    return not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in BIDI for c in text)


# -- size bombs ---------------------------------------------------------------------------
BOMBS = {
    "v2 header 5000x5000": '{"version": 2, "width": 5000, "height": 5000}\n[0.1, "o", "x"]\n',
    "v2 header 100000x100000": '{"version": 2, "width": 100000, "height": 100000}\n[0.1, "o", "x"]\n',
    "v3 header": '{"version": 3, "term": {"cols": 100000, "rows": 24}}\n[0.1, "o", "x"]\n',
    "v1 header": '{"version": 1, "width": 80, "height": 5000, "stdout": [[0.1, "x"]]}',
}


@pytest.mark.parametrize("content", BOMBS.values(), ids=BOMBS.keys())
def test_a_header_over_the_size_limit_is_a_one_line_error_naming_the_file_and_the_limit(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "bomb.cast"
    path.write_text(content)
    done = replay_cli(path)
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and f"{MAX_SIDE}x{MAX_SIDE}" in lines[0], done.stderr


def test_a_resize_event_over_the_limit_is_skipped_with_one_warning_and_the_replay_goes_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "resize-bomb.cast"
    events = (
        [[0.1, "o", "before"]]
        + [[0.2 + n / 100, "r", "100000x100000"] for n in range(50)]
        + [[0.9, "r", "20x3"], [1.0, "o", "\r\nafter"], [1.1, "r", "1001x5"]]
    )
    path.write_text(
        '{"version": 2, "width": 10, "height": 2}\n' + "".join(json.dumps(e) + "\n" for e in events)
    )
    out = tmp_path / "out.cast"
    done = replay_cli(path, f"record:path={out}")
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    warnings = [line for line in done.stderr.splitlines() if "resize" in line]
    assert len(warnings) == 1 and str(path) in warnings[0] and f"{MAX_SIDE}x{MAX_SIDE}" in warnings[0], (
        done.stderr
    )
    assert "51" in warnings[0]  # how many were skipped
    recorded = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    assert [e[2] for e in recorded if e[1] == "r"] == ["20x3"]


def test_the_replay_source_refuses_an_oversized_header_before_any_display_starts(tmp_path: Path) -> None:
    path = tmp_path / "bomb.cast"
    path.write_text(BOMBS["v2 header 5000x5000"])
    with pytest.raises(ValueError, match=f"bomb.cast:1: .*{MAX_SIDE}x{MAX_SIDE}"):
        open_replay(path=str(path))


# -- what a cast's text may carry ------------------------------------------------------------
def test_replayed_output_reaches_a_recording_as_text_and_sgr_only(tmp_path: Path) -> None:
    path = tmp_path / "evil.cast"
    path.write_text(
        '{"version": 2, "width": 40, "height": 3}\n'
        + json.dumps([0.1, "o", "\x1b[32mok\x1b[0m " + ATTACK])
        + "\n"
    )
    out = tmp_path / "out.cast"
    done = replay_cli(path, f"record:path={out}")
    assert done.returncode == 0, done.stderr
    outputs = [e[2] for e in map(json.loads, out.read_text().splitlines()[1:]) if e[1] == "o"]
    assert outputs and all(only_painting(data) for data in outputs), outputs
    assert any("\x1b[0;32mok" in data for data in outputs)


def test_marker_labels_from_a_cast_are_plain_text_in_the_recording_and_for_displays(tmp_path: Path) -> None:
    path = tmp_path / "marks.cast"
    label = "\x1b]0;pwned\x07chap\x1b[31mter\u202e one\r\n" + "x" * 1000
    path.write_text(
        '{"version": 2, "width": 10, "height": 1}\n'
        + json.dumps([0.1, "m", label])
        + "\n"
        + json.dumps([0.2, "o", "a"])
        + "\n"
    )
    memory = MemoryDisplay()
    with Stream([("memory", memory)]) as stream:
        play(open_replay(path=str(path)), stream)
    assert memory.markers[0].startswith("chapter one") and len(memory.markers[0]) <= 200
    out = tmp_path / "out.cast"
    assert replay_cli(path, f"record:path={out}").returncode == 0
    markers = [e[2] for e in map(json.loads, out.read_text().splitlines()[1:]) if e[1] == "m"]
    assert markers == [memory.markers[0]]


def test_the_recorder_writes_any_marker_label_as_plain_text(tmp_path: Path) -> None:
    out = tmp_path / "out.cast"
    display = RecordDisplay(path=str(out))
    display.init(10, 1)
    display.marker("\x1b]52;c;evil\x07one\x9b6n")
    display.cleanup()
    markers = [e[2] for e in map(json.loads, out.read_text().splitlines()[1:]) if e[1] == "m"]
    assert markers == ["one6n"]


# -- where a recording is written ----------------------------------------------------------
@pytest.mark.parametrize("mode", ["overwrite", "append"])
def test_a_symlink_to_a_file_is_refused_and_its_target_left_alone(tmp_path: Path, mode: str) -> None:
    victim = tmp_path / "victim.cast"
    content = '{"version": 2, "width": 10, "height": 1}\n[0.1, "o", "precious"]\n'
    victim.write_text(content)
    link = tmp_path / "link.cast"
    link.symlink_to(victim)
    display = RecordDisplay(path=str(link), **{mode: True})  # type: ignore[arg-type]
    with pytest.raises(RecordingError, match="symbolic link") as error:
        display.init(10, 1)
        display.show(["x"])
        display.cleanup()
    assert "\n" not in str(error.value) and str(link) in str(error.value)
    assert victim.read_text() == content


def test_a_new_recording_is_never_created_through_a_dangling_symlink(tmp_path: Path) -> None:
    link = tmp_path / "link.cast"
    link.symlink_to(tmp_path / "elsewhere.cast")
    display = RecordDisplay(path=str(link))
    with pytest.raises(RecordingError):
        display.init(10, 1)
    assert not (tmp_path / "elsewhere.cast").exists()


def test_recording_through_a_symlink_to_a_device_still_works(tmp_path: Path) -> None:
    """``record:path=/dev/stdout,overwrite=true`` is documented; /dev/stdout is a symlink."""
    link = tmp_path / "null.cast"
    link.symlink_to(os.devnull)
    display = RecordDisplay(path=str(link), overwrite=True)
    display.init(10, 1)
    display.show(["x"])
    display.cleanup()
    assert display.frames_recorded == 1
