"""The runner on a fake clock: pacing without drift, timed cues, what each cue does, when a run ends."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import pytest
from glyphcast import Cue, Stream
from glyphcast.displays import MemoryDisplay
from glyphcast.protocol import ProducerState
from glyphcast.runner import Runner, RunStats


class FakeTime:
    """A clock that only moves when the runner waits (or when the target says work took time)."""

    def __init__(self) -> None:
        self.now = 100.0

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.now += seconds
        return False


class Target:
    """Records what the runner did, and when; each show() costs ``work`` seconds of fake time."""

    def __init__(self, time: FakeTime, work: float = 0.0) -> None:
        self.time = time
        self.work = work
        self.log: list[tuple[float, str]] = []

    def init(self, width: int, height: int, reuse: bool = False) -> None:
        self.log.append((self.time.now, f"init {width}x{height} reuse={reuse}"))

    def show(
        self,
        buffer: list[str],
        border: bool = False,
        cursor: tuple[int, int] | None = None,
        *,
        seq: int | None = None,
        ts: float | None = None,
    ) -> None:
        numbered = f" seq {seq} ts {ts}" if seq is not None else ""
        self.log.append(
            (self.time.now, f"show {buffer[0]}" + (f" cursor {cursor}" if cursor else "") + numbered)
        )
        self.time.now += self.work

    def clear(self) -> None:
        self.log.append((self.time.now, "clear"))

    def marker(self, label: str) -> None:
        self.log.append((self.time.now, f"marker {label}"))

    def producer(self, state: ProducerState) -> None:
        self.log.append((self.time.now, f"producer {state}"))

    def shows(self) -> list[float]:
        return [round(t - 100.0, 6) for t, what in self.log if what.startswith("show")]


def endless() -> Iterator[Cue]:
    for n in itertools.count():
        yield Cue(rows=[str(n)])


def test_paced_cues_are_shown_at_fps_from_the_start() -> None:
    fake = FakeTime()
    target = Target(fake)
    stats = Runner(endless(), target, fps=10, frames=5, clock=fake.clock, wait=fake.wait).run()
    assert target.shows() == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert stats.frames == 5 and stats.ended == "frames"


def test_time_spent_drawing_does_not_make_the_schedule_drift() -> None:
    fake = FakeTime()
    target = Target(fake, work=0.03)  # each frame costs 30 ms of a 40 ms interval
    Runner(endless(), target, fps=25, frames=50, clock=fake.clock, wait=fake.wait).run()
    shows = target.shows()
    assert shows[-1] == pytest.approx(49 / 25)
    assert all(abs(t - k / 25) < 1e-9 for k, t in enumerate(shows))


def test_timed_cues_are_shown_at_their_time_and_paced_ones_follow() -> None:
    fake = FakeTime()
    target = Target(fake)
    cues = [Cue(rows=["a"], at=0.5), Cue(rows=["b"], at=2.0), Cue(rows=["c"]), Cue(rows=["d"])]
    stats = Runner(cues, target, fps=4, clock=fake.clock, wait=fake.wait).run()
    assert target.shows() == [0.5, 2.0, 2.25, 2.5]
    assert stats.ended == "source"


def test_a_late_schedule_re_anchors_instead_of_bursting() -> None:
    fake = FakeTime()
    target = Target(fake)
    stalled = iter([Cue(rows=["0"]), Cue(rows=["1"]), Cue(rows=["2"]), Cue(rows=["3"])])

    def cues() -> Iterator[Cue]:
        yield next(stalled)
        fake.now += 5.0  # the process was suspended for five seconds
        yield from stalled

    Runner(cues(), target, fps=10, clock=fake.clock, wait=fake.wait).run()
    assert target.shows() == [0.0, 5.0, 5.1, 5.2]


def test_size_clear_and_marker_cues_act_on_the_target_before_their_rows() -> None:
    fake = FakeTime()
    target = Target(fake)
    cues = [Cue(size=(40, 10), clear=True, marker="start", rows=["x"])]
    Runner(cues, target, clock=fake.clock, wait=fake.wait).run()
    assert [what for _, what in target.log] == ["init 40x10 reuse=True", "clear", "marker start", "show x"]


def test_a_cue_s_cursor_goes_to_the_target_with_its_rows() -> None:
    time = FakeTime()
    target = Target(time)
    Runner([Cue(rows=["a"], cursor=(3, 1)), Cue(rows=["b"])], target, clock=time.clock, wait=time.wait).run()
    assert [what for _, what in target.log] == ["show a cursor (3, 1)", "show b"]


def test_a_cue_s_seq_and_ts_go_to_the_target_with_its_rows() -> None:
    time = FakeTime()
    target = Target(time)
    cues = [Cue(rows=["a"], seq=7, ts=5.0), Cue(rows=["b"], seq=8, ts=6.0, cursor=(0, 0)), Cue(rows=["c"])]
    Runner(cues, target, clock=time.clock, wait=time.wait).run()
    assert [what for _, what in target.log] == [
        "show a seq 7 ts 5.0",
        "show b cursor (0, 0) seq 8 ts 6.0",
        "show c",
    ]


def test_a_relayed_run_reproduces_seq_ts_and_cursor_on_a_real_stream() -> None:
    time = FakeTime()
    shown = MemoryDisplay()
    cues = [Cue(rows=["a"], seq=100, ts=1.0), Cue(rows=["b"], seq=102, ts=2.0, cursor=(1, 1))]
    with Stream([("shown", shown)]) as stream:
        stream.init(4, 2)
        Runner(cues, stream, clock=time.clock, wait=time.wait).run()
    assert [(f.rows[0], f.seq, f.ts, f.cursor) for f in shown.frames] == [
        ("a", 100, 1.0, None),
        ("b", 102, 2.0, (1, 1)),
    ]


def test_cues_without_rows_do_not_count_as_frames() -> None:
    fake = FakeTime()
    target = Target(fake)
    cues = [Cue(marker="m"), Cue(rows=["a"]), Cue(clear=True), Cue(rows=["b"]), Cue(rows=["c"])]
    stats = Runner(cues, target, frames=2, clock=fake.clock, wait=fake.wait).run()
    assert stats.frames == 2
    assert [what for _, what in target.log] == ["marker m", "show a", "clear", "show b"]


def test_duration_ends_the_run_without_showing_frames_due_later() -> None:
    fake = FakeTime()
    target = Target(fake)
    stats = Runner(endless(), target, fps=10, duration=1.0, clock=fake.clock, wait=fake.wait).run()
    assert target.shows() == pytest.approx([k / 10 for k in range(11)])
    assert stats.ended == "duration"
    assert fake.now - 100.0 == pytest.approx(1.0)


def test_tick_reports_progress_while_waiting_for_a_far_cue() -> None:
    fake = FakeTime()
    ticks: list[int] = []
    cues = [Cue(rows=["a"]), Cue(rows=["b"], at=3.0)]
    Runner(cues, Target(fake), clock=fake.clock, wait=fake.wait, tick=lambda s: ticks.append(s.frames)).run()
    assert ticks.count(1) >= 5  # waited 3 s in ticks of at most 0.5 s


def test_stop_from_another_thread_ends_a_real_run_promptly() -> None:
    memory = MemoryDisplay()
    with Stream([memory]) as stream:
        runner = Runner(endless(), stream, fps=50)
        threading.Timer(0.2, runner.stop).start()
        begin = time.monotonic()
        stats = runner.run()
    assert stats.ended == "stopped"
    assert time.monotonic() - begin < 5
    assert 1 <= len(memory.frames) == stats.frames


def test_fps_must_be_positive() -> None:
    with pytest.raises(ValueError, match="fps"):
        Runner([], Target(FakeTime()), fps=0)


def test_a_requested_resize_reaches_a_resizable_source_between_frames_and_is_refused_by_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from glyphcast.demo import DemoSource

    fake = FakeTime()
    memory = MemoryDisplay()
    stream = Stream([("memory", memory)])
    source = DemoSource(40, 12)
    stream.init(40, 12)
    runner = Runner(source, stream, fps=10, frames=6, clock=fake.clock, wait=fake.wait)

    # Asked while frame 3 is shown (another thread would do the same: one assignment, no I/O).
    def tick(stats: RunStats) -> None:
        if stats.frames == 3:
            runner.request_resize(64, 20)

    runner.tick = tick
    assert runner.can_resize
    runner.run()
    assert [(f.width, f.height) for f in memory.frames] == [(40, 12)] * 3 + [(64, 20)] * 3
    assert "64x20" in memory.frames[-1].rows[-1]  # the demo laid itself out again

    fixed = Runner(iter([Cue(rows=["x"])]), Target(fake), clock=fake.clock, wait=fake.wait)
    assert not fixed.can_resize
    with caplog.at_level("WARNING", logger="glyphcast"):
        assert fixed.request_resize(64, 20) is False
    assert "keeps its own size" in caplog.text
    fixed.run()
    assert fixed.target.log[-1][1] == "show x"  # type: ignore[attr-defined]
