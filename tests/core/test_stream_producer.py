"""A source tells displays whether its producer is heard from (protocol v1.2 ``producer``): a cue carries the
state, the runner hands it to the stream, and the stream tells the displays that show it, on change only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from glyphcast import Cue, FrameDisplay, ProducerDisplay, Stream, hookimpl
from glyphcast.displays import MemoryDisplay
from glyphcast.frame import Frame
from glyphcast.plugins import load_registry, reset_registry
from glyphcast.protocol import PRODUCER_STATES, ProducerState
from glyphcast.runner import Runner


class Told(FrameDisplay):
    """A display that shows the producer's state (a hub, say) and records what it was told."""

    def __init__(self) -> None:
        super().__init__()
        self.told: list[str] = []

    def deliver(self, frame: Frame) -> None:
        self.told.append(f"frame {frame.seq}")

    def producer(self, state: ProducerState) -> None:
        self.told.append(state)


class Refusing(Told):
    def producer(self, state: ProducerState) -> None:
        raise OSError("the socket is gone")


class Witness:
    def __init__(self) -> None:
        self.errors: list[str] = []

    @hookimpl
    def display_error(self, name: str, display: object, error: BaseException) -> None:
        self.errors.append(name)


@pytest.fixture
def witness() -> Witness:
    plugin = Witness()
    reset_registry(load_registry(extra_plugins=[("witness", plugin)]))
    return plugin


def test_the_stream_tells_the_displays_that_show_the_producer_state_and_no_others() -> None:
    told, memory = Told(), MemoryDisplay()
    assert isinstance(told, ProducerDisplay)
    assert not isinstance(memory, ProducerDisplay)  # the optional protocol: a display that does not care
    with Stream([("hub", told), ("memory", memory)]) as stream:
        stream.init(10, 2)
        stream.show(["a"])
        stream.producer("stalled")
        stream.producer("stalled")  # no change: nobody is told again
        stream.producer("reconnecting")
        stream.producer("live")
        stream.show(["b"])
    assert told.told == ["frame 1", "stalled", "reconnecting", "live", "frame 2"]
    assert [f.seq for f in memory.frames] == [1, 2]
    assert stream.producer_state == "live"


def test_a_display_added_while_the_producer_is_silent_is_told_at_once() -> None:
    with Stream([("memory", MemoryDisplay())]) as stream:
        stream.init(10, 2)
        stream.producer("stalled")
        late = Told()
        stream.add(late, name="late")
        assert late.told == ["stalled"]
        quiet = Told()
        stream.producer("live")
        stream.add(quiet, name="quiet")
        assert quiet.told == []  # live is what every display assumes: nothing to say


def test_displays_are_told_when_they_start_not_before() -> None:
    told = Told()
    with Stream([("hub", told)]) as stream:
        stream.producer("reconnecting")  # before the run: a hub has no clients (nor a server) yet
        assert told.told == []
        stream.init(10, 2)
        assert told.told == ["reconnecting"]


def test_a_state_outside_the_protocol_is_refused_in_one_line() -> None:
    with Stream([("hub", Told())]) as stream, pytest.raises(ValueError, match="stalled") as raised:
        stream.producer("dead")  # type: ignore[arg-type]
    assert "\n" not in str(raised.value)
    assert PRODUCER_STATES == {"live", "stalled", "reconnecting"}


def test_a_display_that_fails_to_take_the_state_is_disabled_and_reported(witness: Witness) -> None:
    good = Told()
    with Stream([("refusing", Refusing()), ("good", good)]) as stream:
        stream.init(10, 2)
        stream.producer("stalled")
        stream.show(["x"])
        assert [a.active for a in stream.displays] == [False, True]
    assert good.told == ["stalled", "frame 1"]
    assert witness.errors == ["refusing"]


def test_the_runner_tells_the_stream_a_cue_s_producer_state_before_its_frame() -> None:
    def cues() -> Iterator[Cue]:
        yield Cue(rows=["one"], at=0.0)
        yield Cue(producer="stalled", at=0.0)
        yield Cue(rows=["two"], producer="live", at=0.0)

    told = Told()
    with Stream([("hub", told)]) as stream:
        stream.init(10, 2)
        Runner(cues(), stream).run()
    assert told.told == ["frame 1", "stalled", "live", "frame 2"]
