"""``--linger S``: after the source ends, a run keeps serving its last screen S seconds of its clock.

play() runs on the test's main thread (it sets a SIGTERM handler, which only the
main thread may), on a FakeClock that a second thread advances once the run
is waiting on it: no test here waits on real seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from glyphcast import Cue, hookimpl
from glyphcast.clock import FakeClock
from glyphcast.displays import MemoryDisplay
from glyphcast.play import play
from glyphcast.plugins import load_registry, reset_registry


class Served(MemoryDisplay):
    """A display that viewers reach at a URL, so a run that ended lingers for them."""

    shown: list[Served] = []

    def __init__(self, width: int = 80, height: int = 24) -> None:
        super().__init__(width, height)
        Served.shown.append(self)

    @property
    def url(self) -> str:
        return "http://127.0.0.1:9/"

    @property
    def controller_url(self) -> str | None:
        return None


class Program:
    """A source that shows one screen, then ends the way a program that exited 3 does."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.end_reason: str | None = None
        self.exit_status: int | None = None

    def __iter__(self) -> Iterator[Cue]:
        yield Cue(rows=["the last screen"])
        self.end_reason, self.exit_status = "the program exited with status 3", 3


class Plugin:
    @hookimpl
    def register_displays(self, register: Callable[..., None]) -> None:
        register("served", Served)

    @hookimpl
    def register_sources(self, register: Callable[..., None]) -> None:
        register("program", Program)


@pytest.fixture(autouse=True)
def registry() -> Iterator[None]:
    Served.shown.clear()
    reset_registry(load_registry(extra_plugins=[("linger-test", Plugin())]))
    yield
    reset_registry(None)


def drive(steps: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=steps, daemon=True)
    thread.start()
    return thread


def run(**options: Any) -> int:
    return play("program", ["served"], size=(20, 2), fps=50, frames=None, duration=None, **options)


def test_a_run_whose_source_ended_serves_its_last_screen_for_linger_seconds_then_exits_with_its_status() -> (
    None
):
    clock = FakeClock()
    seen: dict[str, Any] = {}

    def steps() -> None:
        seen["waiting"] = clock.until(lambda c: len(c.waiting) == 1) and clock.waiting
        (display,) = Served.shown
        seen["while lingering"] = (display.ended, display.closed, display.last and display.last.rows[0])
        clock.advance(29.999)
        seen["after 29.999 s"] = (clock.waiting, display.closed)
        clock.advance(0.001)

    driver = drive(steps)
    assert run(linger=30, clock=clock) == 3
    driver.join(5)
    assert seen["waiting"] == [30.0]
    assert seen["while lingering"] == (["the program exited with status 3"], False, "the last screen")
    assert seen["after 29.999 s"] == ([30.0], False)  # still serving: its time has not come
    assert Served.shown[0].closed  # cleaned up once the linger was over


def test_a_run_with_no_linger_ends_without_waiting_on_its_clock() -> None:
    clock = FakeClock()
    assert run(linger=0, clock=clock) == 3
    assert clock.now() == 0.0 and Served.shown[0].closed


def test_linger_until_ctrl_c_is_only_for_a_run_in_a_terminal() -> None:
    clock = FakeClock()
    # pytest's stdin is not a terminal: nobody could press Ctrl-C, so the run does not wait for it.
    assert run(linger=None, clock=clock) == 3
    assert Served.shown[0].closed
