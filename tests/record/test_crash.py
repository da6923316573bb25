"""Crash safety with real signals and real failing disks: SIGKILL leaves a file asciinema plays,
SIGTERM and Ctrl-C close it cleanly, and a full disk or a forbidden path disables only ``record``."""

from __future__ import annotations

import errno
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from glyphcast import Stream, hookimpl, open_display
from glyphcast.displays import MemoryDisplay
from glyphcast.plugins import load_registry, reset_registry
from glyphcast.testing import make_frames
from glyphcast_record import RecordDisplay, read_recording

from .conftest import asciinema_cat, glyphcast_cli, play


def start_recording(path: Path, *extra: str) -> subprocess.Popen[bytes]:
    """``glyphcast run`` of the endless demo at a high frame rate into ``record``."""
    return subprocess.Popen(
        [
            *glyphcast_cli(),
            "run",
            "--source",
            "demo",
            "--size",
            "80x24",
            "--fps",
            "240",
            "--display",
            f"record:path={path}",
            *extra,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for_events(path: Path, process: subprocess.Popen[bytes], count: int, timeout: float = 20.0) -> None:
    """Until ``path`` holds ``count`` event lines — written while the process runs, before any close."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            assert process.stderr is not None
            pytest.fail(
                f"glyphcast run exited early ({process.returncode}): {process.stderr.read().decode()}"
            )
        if path.exists() and path.read_bytes().count(b"\n") > count:
            return
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"{path} did not reach {count} events in {timeout} s")


def test_sigkill_mid_run_leaves_a_file_asciinema_plays(tmp_path: Path) -> None:
    path = tmp_path / "killed.cast"
    process = start_recording(path)
    wait_for_events(path, process, 100)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert process.returncode == -signal.SIGKILL
    recording = read_recording(path)
    # Whole lines go to the kernel in one write(), so not even the last line is torn.
    assert recording.torn_line is None, "a SIGKILL cut an event line in half"
    assert len(recording.events) >= 100
    output = asciinema_cat(path)
    assert "glyphcast" in output


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "Ctrl-C"]
)
def test_sigterm_and_ctrl_c_close_the_recording_cleanly(tmp_path: Path, signum: int, status: int) -> None:
    path = tmp_path / "stopped.cast"
    process = start_recording(path)
    wait_for_events(path, process, 30)
    process.send_signal(signum)
    process.wait(20)
    stderr = process.stderr.read().decode(errors="replace")  # type: ignore[union-attr]
    assert process.returncode == status, stderr
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    recording = read_recording(path)
    assert recording.torn_line is None
    header = json.loads(raw.split(b"\n", 1)[0])
    assert (header["width"], header["height"]) == (80, 24)
    asciinema_cat(path)


def test_events_reach_the_file_while_recording_without_waiting_for_cleanup(tmp_path: Path) -> None:
    path = tmp_path / "live.cast"
    display = RecordDisplay(path=str(path))
    with Stream([("record", display)], width=20, height=5) as stream:
        stream.init(20, 5)
        stream.show(["first frame"])
        deadline = time.monotonic() + 5.0  # the writer hands events over within 100 ms
        while b"first frame" not in path.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert b"first frame" in path.read_bytes(), "the event sat in a buffer"


# -- failing disks ----------------------------------------------------------------


@pytest.fixture
def reported() -> Iterator[list[tuple[str, str]]]:
    """Errors the ``display_error`` hook hears."""
    heard: list[tuple[str, str]] = []

    class Listener:
        @hookimpl
        def display_error(self, name: str, display: object, error: BaseException) -> None:
            heard.append((name, str(error)))

    reset_registry(load_registry(extra_plugins=[("listener", Listener())]))
    yield heard
    reset_registry()


def run_until_disabled(
    display: RecordDisplay, frames: int = 400, size: tuple[int, int] = (80, 24)
) -> tuple[Stream, MemoryDisplay]:
    memory = MemoryDisplay()
    stream = Stream([("record", display), ("memory", memory)], *size)
    stream.init(*size)
    width, height = size
    for n in range(frames):
        # Every row changes, so each event is a couple of kB and a small disk fills quickly.
        stream.show([f"\x1b[3{n % 8}m{n:05d} row {y}".ljust(width, "#") for y in range(height)])
        time.sleep(0.001)  # give the writer a chance to hit the error while frames still come
    return stream, memory


def test_a_path_the_process_may_not_write_disables_record_and_others_go_on(
    reported: list[tuple[str, str]],
) -> None:
    # Root may write anywhere but not create files in sysfs: a permission error even for root.
    display = open_display("record", path="/sys/glyphcast-test.cast")
    with Stream([("record", display), ("memory", MemoryDisplay())], 20, 5) as stream:
        stream.init(20, 5)
        for frame in make_frames(10):
            stream.show(list(frame.rows))
        record, memory = stream.displays
        assert not record.active
        assert "cannot record to /sys/glyphcast-test.cast" in str(record.error)
        assert "record to a file you may write" in str(record.error)
        assert memory.active and len(memory.display.frames) == 10  # type: ignore[attr-defined]
    assert reported and reported[0][0] == "record"


def test_a_disk_full_at_the_first_write_is_reported(tmp_path: Path) -> None:
    display = open_display("record", path="/dev/full", overwrite=True)
    with Stream([("record", display), ("memory", MemoryDisplay())], 20, 5) as stream:
        stream.init(20, 5)
        stream.show(["x"])
        record, memory = stream.displays
        assert not record.active and "No space left on device" in str(record.error)
        assert memory.active


def test_disk_full_mid_recording_disables_record_names_the_file_and_others_keep_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reported: list[tuple[str, str]]
) -> None:
    """The disk fills after a few writes (a mocked write error, as the issue allows)."""
    path = tmp_path / "full.cast"
    display = RecordDisplay(path=str(path))
    writes = 0
    real_write = RecordDisplay._write_all

    def write_until_full(fd: int, data: bytes | bytearray) -> None:
        nonlocal writes
        writes += 1
        if writes > 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(fd, data)

    monkeypatch.setattr(display, "_write_all", write_until_full)
    stream, memory = run_until_disabled(display)
    try:
        record = stream.displays[0]
        assert not record.active
        message = str(record.error)
        assert f"recording to {path} stopped: No space left on device" in message
        assert "free some disk space" in message
        assert len(memory.frames) == 400, "the other display lost frames"
        assert reported == [("record", message)]
    finally:
        stream.cleanup()
    recording = read_recording(path)
    assert recording.torn_line is None and 1 <= len(recording.events) < 400


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs (needs mount privileges; skipped without them)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs privileges): {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def test_a_real_full_disk_disables_record_and_the_file_stays_readable(tiny_disk: Path) -> None:
    path = tiny_disk / "full.cast"
    stream, memory = run_until_disabled(RecordDisplay(path=str(path)), frames=600)
    try:
        record = stream.displays[0]
        assert not record.active and "No space left on device" in str(record.error)
        assert len(memory.frames) == 600
    finally:
        stream.cleanup()
    recording = read_recording(path)  # at most a torn last line, which the reader skips
    assert len(recording.events) > 10


def test_replaying_into_record_and_memory_when_record_fails_keeps_memory_going(
    reported: list[tuple[str, str]],
) -> None:
    memory = MemoryDisplay()
    with Stream(
        [("record", open_display("record", path="/dev/full", overwrite=True)), ("memory", memory)]
    ) as stream:
        from glyphcast import open_source

        from .conftest import DATA

        play(open_source("replay", 1, 1, path=str(DATA / "player-resizing-v3.cast")), stream)
    assert len(memory.frames) == 5
    assert [name for name, _ in reported] == ["record"]
