"""What a source or a display offers beyond the basics is a typed protocol (glyphcast.source,
glyphcast.display), and every source and display glyphcast ships is one where it should be.

``glyphcast run`` looks these up with isinstance, so a source that lost a member (a renamed
``end_reason``) would silently stop telling viewers why it ended: this checks the shipped ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import glyphcast
import pytest
from glyphcast.display import ControllableDisplay, ServingDisplay
from glyphcast.source import (
    ClosableSource,
    EndingSource,
    ExitingSource,
    ResizableFromAnyThread,
    ResizableSource,
    Source,
    TerminalSource,
    WritableSource,
)
from glyphcast_pty.terminal import LocalTerminal, SharedProgram

CAST = Path(__file__).resolve().parents[1] / "record" / "data" / "asciinema-full-v2.cast"
EVERY = (
    ResizableSource,
    ResizableFromAnyThread,
    WritableSource,
    ClosableSource,
    EndingSource,
    ExitingSource,
    TerminalSource,
)


def offers(source: object) -> set[str]:
    return {protocol.__name__ for protocol in EVERY if isinstance(source, protocol)}


@pytest.fixture
def opened() -> Iterator[list[object]]:
    things: list[object] = []
    yield things
    for thing in things:
        if isinstance(thing, ClosableSource):
            thing.close()
        elif isinstance(thing, glyphcast.Display):
            thing.cleanup()


def test_each_shipped_source_is_the_protocols_of_what_it_offers(opened: list[object]) -> None:
    demo = glyphcast.open_source("demo", 10, 4)
    pty = glyphcast.open_source("pty", 10, 4, command="true")
    replay = glyphcast.open_source("replay", 10, 4, path=str(CAST))
    shared = SharedProgram(10, 4, "true", terminal=LocalTerminal(fd_in=-1, fd_out=-1))
    opened += [pty, replay, shared]
    assert all(isinstance(source, Source) for source in (demo, pty, replay, shared))
    assert offers(demo) == {"ResizableSource"}
    assert offers(pty) == {
        "ResizableSource",
        "ResizableFromAnyThread",
        "WritableSource",
        "ClosableSource",
        "EndingSource",
        "ExitingSource",
    }
    assert offers(replay) == {"EndingSource"}
    assert offers(shared) == {
        "WritableSource",
        "ClosableSource",
        "EndingSource",
        "ExitingSource",
        "TerminalSource",
    }
    assert shared.draws_on_terminal


def test_the_hub_display_is_a_serving_and_controllable_display_and_the_others_are_not(
    opened: list[object],
) -> None:
    hub = glyphcast.open_display("websocket", port=0, control_token="c" * 32)
    memory = glyphcast.open_display("memory")
    opened += [hub, memory]
    hub.init(10, 4)
    assert isinstance(hub, ServingDisplay) and isinstance(hub, ControllableDisplay)
    assert not isinstance(memory, ServingDisplay) and not isinstance(memory, ControllableDisplay)
    assert hub.url.startswith("http://127.0.0.1:")
    assert hub.controller_url == hub.url + "#control=" + "c" * 32
