"""The ``record`` display with real files: round trip through replay, interop with the asciinema
CLI, existing files, append, markers, and lossless backpressure on a disk that stalls."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pyte
import pytest
from glyphcast import OptionError, Stream, open_display, open_source
from glyphcast.displays import MemoryDisplay
from glyphcast.testing import DisplayConformance, make_frames
from glyphcast.text import strip_ansi
from glyphcast_record import RecordDisplay, RecordingError, read_recording

from .conftest import asciinema_cat, event_lines, first_difference, frame_cells, play, screen_cells


class TestRecordConformance(DisplayConformance):
    """core's conformance suite: show() is O(1), cleanup is idempotent, worker errors surface."""

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path
        self.made = 0

    def make_display(self) -> RecordDisplay:
        self.made += 1
        return RecordDisplay(path=str(self.directory / f"conformance-{self.made}.cast"))


def record_demo(path: Path, frames: int, width: int = 60, height: int = 16) -> MemoryDisplay:
    """Play ``frames`` demo frames into ``record`` and a ``memory`` display side by side."""
    shown = MemoryDisplay()
    recorder = open_display("record", path=str(path), title="round trip")
    with Stream([("record", recorder), ("memory", shown)]) as stream:
        stats = play(open_source("demo", width, height), stream, frames=frames)
        assert stats.frames == frames
        assert all(a.active for a in stream.displays), stream.status()
    return shown


def test_record_is_registered_with_its_options() -> None:
    display = open_display("record:path=/tmp/glyphcast-never-written.cast,title=x,idle_time_limit=2")
    assert isinstance(display, RecordDisplay)
    assert display.idle_time_limit == 2.0 and display.title == "x"
    display.cleanup()
    assert not Path("/tmp/glyphcast-never-written.cast").exists(), "a display that never started wrote a file"


def test_round_trip_demo_record_replay_gives_the_same_screens_cell_by_cell(tmp_path: Path) -> None:
    path = tmp_path / "demo.cast"
    shown = record_demo(path, frames=90)
    replayed = MemoryDisplay()
    with Stream([("memory", replayed)]) as stream:
        play(open_source("replay", 1, 1, path=str(path)), stream)
    assert len(replayed.frames) == len(shown.frames) == 90
    for number, (original, copy) in enumerate(zip(shown.frames, replayed.frames, strict=True)):
        assert (copy.width, copy.height) == (original.width, original.height)
        want = frame_cells(original.rows, original.width, original.height)
        got = frame_cells(copy.rows, copy.width, copy.height)
        assert got == want, f"frame {number}: {first_difference(got, want)}"


def test_the_header_is_what_asciinema_expects(tmp_path: Path) -> None:
    path = tmp_path / "h.cast"
    before = int(time.time())
    display = RecordDisplay(path=str(path), title="my demo", idle_time_limit=1.5)
    with Stream([("record", display)], width=33, height=7) as stream:
        stream.init(33, 7)
        stream.show(["x"])
    header = json.loads(event_lines(path)[0])
    assert header["version"] == 2 and (header["width"], header["height"]) == (33, 7)
    assert header["env"] == {"TERM": "xterm-256color"}
    assert header["title"] == "my demo" and header["idle_time_limit"] == 1.5
    assert before <= header["timestamp"] <= int(time.time())


def test_asciinema_cat_of_our_file_draws_the_last_frame(tmp_path: Path) -> None:
    path = tmp_path / "cat.cast"
    shown = record_demo(path, frames=40, width=70, height=18)
    last = shown.last
    assert last is not None
    screen = pyte.Screen(last.width, last.height)
    pyte.Stream(screen).feed(asciinema_cat(path))
    got, want = screen_cells(screen), frame_cells(last.rows, last.width, last.height)
    assert got == want, first_difference(got, want)


def test_markers_clear_and_resize_become_m_o_and_r_events(tmp_path: Path) -> None:
    path = tmp_path / "events.cast"
    with Stream([("record", RecordDisplay(path=str(path)))], width=10, height=2) as stream:
        stream.init(10, 2)
        stream.show(["one"])
        stream.marker("chapter 1")
        stream.clear()
        stream.init(12, 3, reuse=True)
        stream.show(["two"])
    events = [json.loads(line) for line in event_lines(path)[1:]]
    assert [code for _, code, _ in events] == ["o", "m", "o", "r", "o"]
    assert events[1][2] == "chapter 1"
    assert events[3][2] == "12x3"
    times = [t for t, _, _ in events]
    assert times == sorted(times)
    replayed = read_recording(path)
    assert replayed.size == (12, 3)


def test_an_existing_file_is_never_overwritten_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "keep.cast"
    path.write_text("precious")
    with pytest.raises(RecordingError) as caught:
        open_display("record", path=str(path))
    message = str(caught.value)
    assert str(path) in message and "overwrite=true" in message and "append=true" in message
    assert isinstance(caught.value, OptionError), "the CLI maps OptionError to exit 2"
    assert path.read_text() == "precious"
    with Stream(
        [("record", open_display("record", path=str(path), overwrite=True))], width=5, height=1
    ) as stream:
        stream.init(5, 1)
        stream.show(["new"])
    assert json.loads(event_lines(path)[0])["version"] == 2


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "record needs a file"),
        ({"path": "{tmp}/no/such/dir/x.cast"}, "directory {tmp}/no/such/dir does not exist"),
        ({"path": "{tmp}"}, "is a directory"),
        ({"path": "{tmp}/x.cast", "append": True, "overwrite": True}, "not both"),
        ({"path": "{tmp}/x.cast", "idle_time_limit": 0.0}, "idle_time_limit=0.0 must be seconds > 0"),
        (
            {"path": "{tmp}/x.cast", "format": "v4"},
            "format='v4' is not a format record writes; choose v2 or v3",
        ),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(
    tmp_path: Path, options: dict[str, object], expected: str
) -> None:
    options = {k: v.format(tmp=tmp_path) if isinstance(v, str) else v for k, v in options.items()}
    with pytest.raises(RecordingError, match=expected.format(tmp=tmp_path)):
        open_display("record", **options)


def test_append_continues_the_timeline_and_draws_the_screen_afresh(tmp_path: Path) -> None:
    path = tmp_path / "append.cast"
    path.write_text('{"version": 2, "width": 10, "height": 2}\n[0.5, "o", "old"]\n[4.25, "i", "x"]\n')
    display = open_display("record", path=str(path), append=True)
    with Stream([("record", display)], width=10, height=2) as stream:
        stream.init(10, 2)
        stream.show(["new"])
        stream.marker("appended")
    lines = event_lines(path)
    assert len([line for line in lines if line.startswith("{")]) == 1, "append must not write a second header"
    appended = [json.loads(line) for line in lines[3:]]
    assert [code for _, code, _ in appended] == ["o", "m"]
    assert all(t >= 4.25 for t, _, _ in appended), appended
    assert appended[0][2].startswith("\x1b[0m\x1b[H\x1b[2J")


def test_a_v3_recording_replays_to_the_same_screens_and_times_as_the_v2_one(tmp_path: Path) -> None:
    """format=v3 writes asciinema 3's format: the header's terminal in "term", intervals between
    events; replay reads it back to what the v2 file of the same frames gives."""
    shown = MemoryDisplay()
    v2, v3 = tmp_path / "demo-v2.cast", tmp_path / "demo-v3.cast"
    displays = [
        ("v2", open_display("record", path=str(v2))),
        ("v3", open_display("record", path=str(v3), format="v3", title="three")),
        ("memory", shown),
    ]
    with Stream(displays) as stream:
        play(open_source("demo", 40, 10), stream, frames=60)
        stream.marker("half way")
        stream.init(30, 8, reuse=True)
        play(open_source("demo", 30, 8), stream, frames=5)
    header = json.loads(event_lines(v3)[0])
    assert header["version"] == 3 and header["term"] == {"cols": 40, "rows": 10, "type": "xterm-256color"}
    assert header["title"] == "three" and "width" not in header
    one, other = read_recording(v2), read_recording(v3)
    assert (one.header.version, other.header.version) == (2, 3)
    assert [(e.code, e.data) for e in other.events] == [(e.code, e.data) for e in one.events]
    assert [e.code for e in other.events].count("r") == 1 and "m" in [e.code for e in other.events]
    # Each file's times come from its own clock reading: the same frames, microseconds apart at most.
    assert max(abs(a.time - b.time) for a, b in zip(one.events, other.events, strict=True)) < 0.05
    replayed: list[MemoryDisplay] = []
    for path in (v2, v3):
        replayed.append(MemoryDisplay())
        with Stream([("memory", replayed[-1])]) as stream:
            play(open_source("replay", 1, 1, path=str(path)), stream)
    assert [f.rows for f in replayed[1].frames] == [f.rows for f in replayed[0].frames]
    assert len(shown.frames) == 65 and len(replayed[1].frames) == 65 + 1, "a frame per o event and the resize"


def test_append_to_a_v3_recording_continues_its_intervals(tmp_path: Path) -> None:
    path = tmp_path / "append-v3.cast"
    path.write_text(
        '{"version": 3, "term": {"cols": 10, "rows": 2}}\n[0.5, "o", "old"]\n# a comment\n[3.75, "x", "0"]\n'
    )
    display = open_display("record", path=str(path), append=True, format="v3")
    with Stream([("record", display)], width=10, height=2) as stream:
        stream.init(10, 2)
        stream.show(["new"])
    recording = read_recording(path)
    assert recording.events[0].data == "old" and recording.events[1].data.endswith(
        "\x1b[1;1Hnew\x1b[0m\x1b[K"
    )
    assert recording.events[1].time >= 4.25
    assert json.loads(event_lines(path)[-1])[0] < 60, (
        "the appended event's time is an interval, not since the start"
    )


def test_append_in_another_format_than_the_files_is_an_error_saying_which_to_pass(tmp_path: Path) -> None:
    path = tmp_path / "v2.cast"
    path.write_text('{"version": 2, "width": 10, "height": 2}\n[0.5, "o", "old"]\n')
    display = open_display("record", path=str(path), append=True, format="v3")
    with Stream([("record", display)], width=10, height=2) as stream:
        stream.init(10, 2)
        [record] = stream.displays
        assert "it is asciicast v2 and this recording is v3; pass record:format=v2" in str(record.error)
    assert path.read_text().endswith('"old"]\n')


def test_append_cuts_a_torn_last_line_left_by_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "torn.cast"
    path.write_text('{"version": 2, "width": 10, "height": 2}\n[0.5, "o", "old"]\n[0.7, "o", "half a li')
    with Stream(
        [("record", open_display("record", path=str(path), append=True))], width=10, height=2
    ) as stream:
        stream.init(10, 2)
        stream.show(["new"])
    recording = read_recording(path)
    assert recording.torn_line is None
    assert [e.data for e in recording.events][0] == "old" and len(recording.events) == 2


def test_append_to_a_recording_of_another_size_is_an_error_naming_both(tmp_path: Path) -> None:
    path = tmp_path / "size.cast"
    path.write_text('{"version": 2, "width": 10, "height": 2}\n[0.5, "o", "old"]\n')
    display = open_display("record", path=str(path), append=True)
    memory = MemoryDisplay()
    with Stream([("record", display), ("memory", memory)], width=20, height=5) as stream:
        stream.init(20, 5)
        stream.show(["still shown"])
        [record, kept] = stream.displays
        assert not record.active and "it is 10x2 and the stream is 20x5" in str(record.error)
        assert kept.active and memory.last is not None
    assert path.read_text().endswith('"old"]\n'), "the refused file was modified"


# -- backpressure -----------------------------------------------------------------


def big_rows(n: int, width: int = 200, height: int = 60) -> list[str]:
    """A frame where every row changes: each event is tens of kB, so a pipe fills in a few."""
    return [
        f"\x1b[38;5;{(n + y) % 256}m" + f"{n:05d}:{y:03d} ".ljust(width, "#") + "\x1b[0m"
        for y in range(height)
    ]


def test_a_stalled_disk_makes_show_wait_at_the_bound_and_loses_no_frame(tmp_path: Path) -> None:
    """A FIFO nobody reads is a disk that stalls; then the reader drains it and every frame is there."""
    fifo = tmp_path / "slow.cast"
    os.mkfifo(fifo)
    received = bytearray()
    may_read = threading.Event()

    def reader() -> None:
        with open(fifo, "rb") as pipe:
            may_read.wait(30)
            while chunk := pipe.read(65536):
                received.extend(chunk)

    reading = threading.Thread(target=reader, daemon=True)
    reading.start()
    bound = 50
    display = RecordDisplay(path=str(fifo), overwrite=True, queue_frames=bound)
    memory = MemoryDisplay()
    stream = Stream([("record", display), ("memory", memory)], width=200, height=60)
    stream.init(200, 60)
    for n in range(40):  # fewer than the bound: the queue takes them though the writer is stuck
        stream.show(big_rows(n))
    assert display.waits == 0, "show() waited while the queue still had room"

    def show_more() -> None:
        for n in range(40, 70):
            stream.show(big_rows(n))

    engine = threading.Thread(target=show_more, daemon=True)
    engine.start()
    engine.join(0.5)
    assert engine.is_alive(), "70 frames fitted in a 50-frame queue and a stalled pipe: nothing pushed back"
    assert display.waits >= 1 and "waited for the disk" in stream.status()
    may_read.set()
    engine.join(30)
    assert not engine.is_alive()
    stream.cleanup()
    reading.join(30)
    assert stream.displays[0].active, stream.status()
    copy = tmp_path / "copy.cast"
    copy.write_bytes(bytes(received))
    recording = read_recording(copy)
    assert recording.torn_line is None
    assert len([e for e in recording.events if e.code == "o"]) == 70 == len(memory.frames)
    replayed = list(open_source("replay", 1, 1, path=str(copy)))
    numbers = [int(strip_ansi(c.rows[0])[:5]) for c in replayed if c.rows]
    assert numbers == list(range(70)), "frames lost or out of order"


def test_status_counts_frames_and_queue(tmp_path: Path) -> None:
    display = RecordDisplay(path=str(tmp_path / "s.cast"))
    with Stream([("record", display)], width=20, height=5) as stream:
        stream.init(20, 5)
        for frame in make_frames(25):
            stream.show(list(frame.rows))
        deadline = time.monotonic() + 5
        while display.frames_recorded < 25 and time.monotonic() < deadline:
            time.sleep(0.01)
        status = stream.status()
    assert "recording" in status and "25 frames written" in status and "queue 0/1024" in status


def test_the_version_is_written_once_in_the_package_and_the_metadata_follows_it() -> None:
    import tomllib
    from importlib.metadata import version

    import glyphcast_record

    assert version("glyphcast-record") == glyphcast_record.__version__
    pyproject = Path(glyphcast_record.__file__).parents[1] / "pyproject.toml"
    project = tomllib.loads(pyproject.read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
