"""pytest plugin for display authors: a conformance suite and fixtures that drive a display with frames.

Loaded automatically (entry point ``pytest11``) wherever glyphcast is installed.

Prove your display keeps the rules every glyphcast display keeps by subclassing
:class:`DisplayConformance` in a test module (its name must start with ``Test``)
and saying how to make one::

    from glyphcast.testing import DisplayConformance
    from my_glyphcast_upper.plugin import UpperDisplay

    class TestUpperConformance(DisplayConformance):
        def make_display(self):
            return UpperDisplay()

        # Optional: make the display's worker fail for real (close its socket,
        # break its pipe...). By default the suite calls ``display.fail(error)``.
        def break_display(self, display):
            display.output.close()

The suite checks: the protocol methods exist and behave (init, show, clear,
get_dimensions, is_available); ``show()`` is cheap (it costs about what a
display that does nothing costs, compared with a wide margin, never against a
clock); ``cleanup()`` twice is safe; ``show()`` after ``cleanup()`` is harmless;
a worker's error is raised by a later ``show()`` instead of vanishing; and the
display works inside a :class:`~glyphcast.Displays`.

Fixtures and helpers: ``frames`` (30 small frames), :func:`make_frames` (as many as
you like) and :func:`show_frames` (drive a display with them).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterable, Iterator

import pytest

from glyphcast.display import Display, DisplayError
from glyphcast.displays import NullDisplay
from glyphcast.frame import Frame, now_ms
from glyphcast.stream import Stream


def make_frames(count: int, width: int = 20, height: int = 5, start: int = 1) -> Iterator[Frame]:
    """``count`` frames where one row changes per frame, numbered from ``start``."""
    rows = [f"row {y}".ljust(width) for y in range(height)]
    for seq in range(start, start + count):
        rows[seq % height] = f"\x1b[3{seq % 8}mframe {seq} row {seq % height}\x1b[0m"
        yield Frame(tuple(rows), width, height, seq, now_ms())


def show_frames(display: Display, frames: Iterable[Frame]) -> None:
    """Show each frame's rows through the legacy interface, initialising the display on the first."""
    started = False
    for frame in frames:
        if not started:
            display.init(frame.width, frame.height)
            started = True
        display.show(list(frame.rows))


@pytest.fixture
def frames() -> list[Frame]:
    """Thirty small frames, one row changing per frame."""
    return list(make_frames(30))


def per_show_cost(display: Display, buffer: list[str], calls: int = 300) -> float:
    """Median seconds per ``show(buffer)`` over ``calls`` calls (after a warm-up)."""
    for _ in range(10):
        display.show(buffer)
    samples = []
    gc.disable()
    try:
        for _ in range(calls):
            begin = time.perf_counter()
            display.show(buffer)
            samples.append(time.perf_counter() - begin)
    finally:
        gc.enable()
    return statistics.median(samples)


#: How many times the cost of a do-nothing display's ``show()`` a display may take.
#: Wide on purpose: it catches a display that writes or waits inside show(), not a slow machine.
SHOW_COST_MARGIN = 50.0
WIDE_ROWS = [("\x1b[38;5;208m" + "\u2588" * 60 + "\x1b[0m \u6f22\u5b57 " + "x" * 50) for _ in range(50)]


class DisplayConformance:
    """The rules every display keeps. Subclass it as ``TestSomething`` and define :meth:`make_display`."""

    width = 40
    height = 10

    def make_display(self) -> Display:
        """Return a new, not yet initialised display. Subclasses must override this."""
        raise NotImplementedError(f"{type(self).__name__} must define make_display(self)")

    def break_display(self, display: Display) -> None:
        """Make the display's worker fail. Default: ``display.fail(...)`` (FrameDisplay subclasses)."""
        fail: Callable[[BaseException], None] | None = getattr(display, "fail", None)
        if fail is None:
            pytest.skip("the display has no fail(); override break_display to break its worker")
        fail(OSError("conformance: the worker lost its connection"))

    @pytest.fixture
    def display(self) -> Iterator[Display]:
        display = self.make_display()
        try:
            yield display
        finally:
            display.cleanup()

    def _init(self, display: Display) -> None:
        display.init(self.width, self.height)

    def _buffer(self, n: int = 0) -> list[str]:
        return [f"\x1b[1;3{(n + y) % 8}mframe {n} row {y}\x1b[0m" for y in range(self.height)]

    # -- the protocol -------------------------------------------------------
    def test_implements_the_display_protocol(self, display: Display) -> None:
        assert isinstance(display, Display), f"{type(display).__name__} lacks a Display method"
        for method in ("init", "show", "clear", "cleanup", "get_dimensions", "is_available"):
            assert callable(getattr(display, method)), method

    def test_is_available_answers_a_bool(self, display: Display) -> None:
        assert isinstance(display.is_available(), bool)

    def test_init_sets_dimensions_and_reuse_resizes(self, display: Display) -> None:
        self._init(display)
        assert display.get_dimensions() == (self.width, self.height)
        display.init(self.width + 7, self.height + 3, reuse=True)
        assert display.get_dimensions() == (self.width + 7, self.height + 3)
        display.show(["after the resize"])

    def test_takes_styled_wide_and_short_buffers_and_clear(self, display: Display) -> None:
        self._init(display)
        display.show(self._buffer(1))
        display.show(["\x1b[38;2;255;0;128mtruecolor\x1b[0m \u6f22\u5b57 \U0001f680", "\x1b[7minverse"])
        display.show([])  # fewer rows than the height: the rest is blank
        display.clear()
        display.show(self._buffer(2), border=True)
        display.show(self._buffer(3))

    def test_show_without_init_is_accepted(self, display: Display) -> None:
        display.show(self._buffer(1))

    # -- show() is O(1) -----------------------------------------------------
    def test_show_costs_about_what_a_null_display_costs(self, display: Display) -> None:
        null = NullDisplay()
        try:
            null.init(len(WIDE_ROWS[0]), len(WIDE_ROWS))
            floor = per_show_cost(null, WIDE_ROWS)
        finally:
            null.cleanup()
        display.init(len(WIDE_ROWS[0]), len(WIDE_ROWS))
        cost = per_show_cost(display, WIDE_ROWS)
        assert cost <= floor * SHOW_COST_MARGIN + 20e-6, (
            f"show() takes {cost * 1e6:.1f} us per frame, {cost / floor:.0f}x a null display's "
            f"{floor * 1e6:.1f} us: does it write or wait inside show()?"
        )

    # -- lifecycle ----------------------------------------------------------
    def test_cleanup_twice_is_safe(self, display: Display) -> None:
        self._init(display)
        display.show(self._buffer())
        display.cleanup()
        display.cleanup()

    def test_cleanup_without_init_is_safe(self, display: Display) -> None:
        display.cleanup()

    def test_show_after_cleanup_is_harmless(self, display: Display) -> None:
        self._init(display)
        display.show(self._buffer())
        display.cleanup()
        display.show(self._buffer(1))
        display.clear()
        assert getattr(display, "closed", True), "show() after cleanup() reopened the display"

    # -- errors surface -----------------------------------------------------
    def test_worker_error_is_raised_by_a_later_show(self, display: Display) -> None:
        self._init(display)
        display.show(self._buffer())
        self.break_display(display)
        deadline = time.monotonic() + 5.0
        with pytest.raises(DisplayError):
            # A real worker notices the failure when it next does I/O: keep showing until it does.
            n = 0
            while time.monotonic() < deadline:
                n += 1
                display.show(self._buffer(n))
                time.sleep(0.01)

    def test_a_stream_drives_it_and_disables_it_when_it_breaks(self, display: Display) -> None:
        with Stream([("under-test", display)], self.width, self.height) as stream:
            stream.init(self.width, self.height)
            for frame in make_frames(5, self.width, self.height):
                stream.show(list(frame.rows))
            attached = stream.displays[0]
            assert attached.active, f"the display failed on plain frames: {attached.error}"
            self.break_display(display)
            deadline = time.monotonic() + 5.0
            while attached.active and time.monotonic() < deadline:
                stream.show(self._buffer())
                time.sleep(0.01)
            assert not attached.active, "a broken display kept receiving frames"
            assert "failed" in stream.status()
            stream.show(self._buffer())  # the stream itself goes on
