"""Stream semantics: one producer, many displays side by side, a failing one disabled and reported once."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from glyphcast import Display, FrameDisplay, Stream, hookimpl, open_displays
from glyphcast.displays import MemoryDisplay
from glyphcast.frame import Frame
from glyphcast.plugins import load_registry, reset_registry


class Witness:
    """A plugin that records the event hooks it receives."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, BaseException]] = []
        self.markers: list[str] = []

    @hookimpl
    def display_error(self, name: str, display: Display, error: BaseException) -> None:
        self.errors.append((name, error))

    @hookimpl
    def marker(self, label: str, ts: float) -> None:
        self.markers.append(label)


@pytest.fixture
def witness() -> Witness:
    plugin = Witness()
    reset_registry(load_registry(extra_plugins=[("witness", plugin)]))
    return plugin


class Exploding(FrameDisplay):
    """Raises on its third frame."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def deliver(self, frame: Frame) -> None:
        self.calls += 1
        if self.calls == 3:
            raise OSError("disk full")


class SeedStyle:
    """A display with only the seed's methods (no show_frame): Stream must drive it through show()."""

    def __init__(self) -> None:
        self.shown: list[list[str]] = []
        self.size = (0, 0)

    def init(self, width: int, height: int, reuse: bool = False) -> None:
        self.size = (width, height)

    def show(self, buffer: list[str], border: bool = False) -> None:
        self.shown.append(buffer)

    def clear(self) -> None:
        self.shown.clear()

    def cleanup(self) -> None:
        pass

    def get_dimensions(self) -> tuple[int, int]:
        return self.size

    def is_available(self) -> bool:
        return True


def test_frames_get_increasing_seq_numbers_shared_by_every_display() -> None:
    a, b = MemoryDisplay(), MemoryDisplay()
    with Stream([("a", a), ("b", b)]) as stream:
        stream.init(10, 2)
        for n in range(5):
            stream.show([f"frame {n}"])
    assert [f.seq for f in a.frames] == [1, 2, 3, 4, 5]
    assert [f.seq for f in a.frames] == [f.seq for f in b.frames]
    assert a.frames[0] is b.frames[0]


def test_a_relayed_frame_keeps_its_seq_and_ts_and_the_stream_numbers_on_from_it() -> None:
    shown = MemoryDisplay()
    with Stream([("shown", shown)]) as stream:
        stream.init(10, 2)
        stream.show(["relayed"], seq=41, ts=1234.5, cursor=(1, 0))
        stream.show(["next"])
        stream.show(["restarted producer"], seq=1, ts=99.0)
    assert [(f.seq, f.ts, f.cursor) for f in list(shown.frames)[:1]] == [(41, 1234.5, (1, 0))]
    assert [f.seq for f in shown.frames] == [41, 42, 1]
    assert shown.frames[2].ts == 99.0


class Counting(FrameDisplay):
    """Counts the show_frame calls it gets and the seqs delivered."""

    def __init__(self) -> None:
        super().__init__()
        self.show_frame_calls = 0
        self.seqs: list[int] = []

    def show_frame(self, frame: Frame) -> None:
        self.show_frame_calls += 1
        super().show_frame(frame)

    def deliver(self, frame: Frame) -> None:
        self.seqs.append(frame.seq)


class CountingStream(Stream):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.show_frame_calls = 0

    def show_frame(self, frame: Frame) -> None:
        self.show_frame_calls += 1
        super().show_frame(frame)


def test_show_frame_runs_once_per_frame_on_the_stream_and_on_each_display_even_nested() -> None:
    a, b, inner_display = Counting(), Counting(), Counting()
    inner = CountingStream([("inner", inner_display)])
    with CountingStream([("a", a), ("b", b), ("inner", inner)]) as stream:
        stream.init(10, 2)
        for n in range(7):
            stream.show([f"frame {n}"])
    assert stream.show_frame_calls == inner.show_frame_calls == 7
    assert a.show_frame_calls == b.show_frame_calls == inner_display.show_frame_calls == 7
    assert a.seqs == b.seqs == inner_display.seqs == [1, 2, 3, 4, 5, 6, 7]


def test_a_removed_display_gets_no_more_frames_and_is_not_cleaned_up() -> None:
    kept, removed = MemoryDisplay(), MemoryDisplay()
    with Stream([("kept", kept), ("removed", removed)]) as stream:
        stream.show(["one"])
        stream.remove(removed)
        stream.show(["two"])
        assert [a.name for a in stream.displays] == ["kept"]
    assert len(kept.frames) == 2 and len(removed.frames) == 1
    assert not removed.closed


def test_a_failing_display_is_disabled_and_reported_once_while_others_go_on(
    witness: Witness, caplog: pytest.LogCaptureFixture
) -> None:
    bad, good = Exploding(), MemoryDisplay()
    with caplog.at_level(logging.ERROR, logger="glyphcast"), Stream([("bad", bad), ("good", good)]) as stream:
        stream.init(10, 2)
        for n in range(10):
            stream.show([f"frame {n}"])
    assert len(good.frames) == 10
    assert bad.calls == 3, "a disabled display kept receiving frames"
    assert [(name, str(error)) for name, error in witness.errors] == [("bad", "disk full")]
    reports = [r for r in caplog.records if "'bad'" in r.getMessage()]
    assert len(reports) == 1 and "disk full" in reports[0].getMessage()
    assert "bad: failed: disk full" in stream.status()


def test_a_worker_failure_surfaces_through_the_next_show(witness: Witness) -> None:
    broken, good = MemoryDisplay(), MemoryDisplay()
    with Stream([("broken", broken), ("good", good)]) as stream:
        stream.show(["one"])
        broken.fail(ConnectionResetError("peer went away"))
        stream.show(["two"])
        stream.show(["three"])
    assert len(broken.frames) == 1 and len(good.frames) == 3
    assert len(witness.errors) == 1 and "peer went away" in str(witness.errors[0][1])


def test_init_and_resize_reach_every_display() -> None:
    a, b, seed = MemoryDisplay(), MemoryDisplay(), SeedStyle()
    with Stream([a, b, seed]) as stream:
        stream.init(30, 4)
        assert [d.get_dimensions() for d in (a, b, seed)] == [(30, 4)] * 3
        stream.init(50, 6, reuse=True)
        assert [d.get_dimensions() for d in (a, b, seed)] == [(50, 6)] * 3
        stream.show(["x"])
    assert a.last is not None and (a.last.width, a.last.height) == (50, 6)
    assert seed.shown == [["x", "", "", "", "", ""]]


def test_a_display_added_while_running_gets_the_current_frame() -> None:
    first = MemoryDisplay()
    with Stream([first]) as stream:
        stream.init(10, 1)
        stream.show(["current"])
        late = MemoryDisplay()
        stream.add(late, name="late")
        assert late.started and late.last is not None
        assert late.last.rows == ("current",) and late.last.seq == 1
        stream.show(["next"])
    assert [f.rows[0] for f in late.frames] == ["current", "next"]


def test_clear_and_markers_reach_displays_and_the_marker_hook(witness: Witness) -> None:
    memory = MemoryDisplay()
    with Stream([memory]) as stream:
        stream.show(["x"])
        stream.clear()
        stream.marker("chapter 1")
    assert memory.clears == 1 and memory.markers == ["chapter 1"]
    assert witness.markers == ["chapter 1"]


def test_cleanup_reaches_every_display_even_if_one_raises(caplog: pytest.LogCaptureFixture) -> None:
    class BadCleanup(MemoryDisplay):
        def stop(self) -> None:
            raise RuntimeError("stuck")

    bad, good = BadCleanup(), MemoryDisplay()
    stream = Stream([("bad", bad), ("good", good)])
    stream.show(["x"])
    with caplog.at_level(logging.ERROR, logger="glyphcast"):
        stream.cleanup()
    assert good.closed and "stuck" in caplog.text


def test_open_displays_selects_by_name_and_options() -> None:
    with open_displays(["memory:limit=2", ("null", {})]) as stream:
        stream.show(["a"])
        stream.show(["b"])
        stream.show(["c"])
        memory: Any = stream.displays[0].display
        assert [a.name for a in stream.displays] == ["memory", "null"]
        assert [f.rows[0] for f in memory.frames] == ["b", "c"]


def test_the_testing_helper_show_frames_drives_a_display_through_the_seed_interface() -> None:
    from glyphcast.testing import make_frames, show_frames

    seed, memory = SeedStyle(), MemoryDisplay()
    frames = list(make_frames(4, width=12, height=3))
    show_frames(seed, frames)
    show_frames(memory, frames)
    assert seed.size == (12, 3) and seed.shown == [list(f.rows) for f in frames]
    assert [f.rows for f in memory.frames] == [f.rows for f in frames]
    memory.cleanup()


def test_the_fan_out_is_displays_and_its_old_name_stream_is_the_same_class() -> None:
    """Engines import ``glyphcast.Stream``; the class is ``glyphcast.Displays``, what open_displays returns."""
    import glyphcast

    assert glyphcast.Stream is glyphcast.Displays
    with glyphcast.open_displays(["memory"]) as displays:
        assert type(displays) is glyphcast.Displays
