"""Playing a source on displays from the command line: the body of ``glyphcast run``, and what
plugins' commands (``replay``, ``share``, ``serve``) are built from.

:func:`play` opens a source and its displays, runs it, tells viewers when it
ended, lingers and cleans up on every way out; a command that serves several
streams at once uses the parts it is made of (:func:`open_source_spec`,
:func:`start_displays`, :func:`controlled_by_clients`, :func:`end_stream`,
:func:`close_source`).
"""

from __future__ import annotations

import logging
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any, TextIO

from glyphcast import open_displays
from glyphcast.clients import ClientInfo
from glyphcast.clock import MONOTONIC, Clock
from glyphcast.commandline import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    MAX_SIDE,
    UsageError,
)
from glyphcast.display import ControllableDisplay, DisplayError, ServingDisplay
from glyphcast.hookspecs import hookimpl
from glyphcast.options import OptionError, option_names, parse_spec
from glyphcast.plugins import Registry, get_registry, open_source
from glyphcast.runner import Runner, RunStats
from glyphcast.source import (
    ClosableSource,
    EndingSource,
    ExitingSource,
    Source,
    TerminalSource,
    WritableSource,
)
from glyphcast.stream import Stream

log = logging.getLogger("glyphcast")

#: The displays a command shows a stream on when none is chosen: the first one installed.
DEFAULT_DISPLAYS = ("websocket", "terminal")


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt, so no display's
    ``except Exception`` mistakes it for its own failure."""


def raise_terminated(signum: int, frame: FrameType | None) -> None:
    """A SIGTERM handler (``signal.signal(signal.SIGTERM, raise_terminated)``): raises :class:`Terminated`."""
    raise Terminated()


def default_displays(registry: Registry | None = None) -> list[str]:
    """The display to use when the user chose none: the browser viewer if installed, else this terminal."""
    installed = (registry or get_registry()).displays
    return [next((name for name in DEFAULT_DISPLAYS if name in installed), DEFAULT_DISPLAYS[-1])]


def default_size(displays: Sequence[str]) -> tuple[int, int]:
    """80x24, or on the terminal display the terminal's size less one line."""
    uses_terminal = any(parse_spec(spec)[0] == "terminal" for spec in displays)
    if uses_terminal and sys.stdout.isatty():
        columns, lines = shutil.get_terminal_size((80, 24))
        # One line less than the terminal: the shell prompt gets the last line afterwards
        # without scrolling the frame's first row away.
        return max(1, min(columns, MAX_SIDE)), max(1, min(lines - 1, MAX_SIDE))
    return 80, 24


def open_source_spec(
    spec: str, size: tuple[int, int], fps: float, extra: dict[str, Any] | None = None
) -> Source:
    """The source ``spec`` names (``NAME[:k=v,...]``, options in ``extra`` too) at ``size``; a source
    with a clock of its own keeps time at ``fps`` unless told otherwise. A bad value is a UsageError."""
    name, spec_options = parse_spec(spec)
    options: dict[str, Any] = {**spec_options, **(extra or {})}
    entry = get_registry().sources.get(name)
    if entry is not None and "fps" in option_names(entry.factory) and "fps" not in options:
        options["fps"] = fps
    try:
        return open_source(name, size[0], size[1], **options)
    except (OptionError, DisplayError):
        raise
    except (TypeError, ValueError, OSError) as error:
        raise UsageError(f"source {name!r}: {error}") from error


class StatusLine:
    """One line on stderr, rewritten about twice a second: fps, frames, each display's state."""

    def __init__(self, stream: Stream, out: TextIO, interval: float = 0.5) -> None:
        self.stream = stream
        self.out = out
        self.interval = interval
        self._last = 0.0
        self.shown = False

    def __call__(self, stats: RunStats) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        self.write(stats)

    def write(self, stats: RunStats) -> None:
        text = f"{stats.fps:5.1f} fps  {stats.frames} frames  {self.stream.status()}"
        width = shutil.get_terminal_size((80, 24)).columns - 1
        self.out.write("\r\x1b[K" + text[:width])
        self.out.flush()
        self.shown = True

    def finish(self, stats: RunStats) -> None:
        if self.shown:
            self.write(stats)
            self.out.write("\n")
            self.out.flush()


def play(
    source_spec: str,
    display_specs: Sequence[str],
    *,
    size: tuple[int, int] | None,
    fps: float,
    frames: int | None,
    duration: float | None,
    source_options: dict[str, Any] | None = None,
    linger: float | None = 0.0,
    clock: Clock = MONOTONIC,
) -> int:
    """Play one source on displays and return the exit status: open everything, run, clean up whatever happens.

    When the source ends by itself, displays are told (viewers get ``end``) and
    keep serving the last screen for ``linger`` seconds of ``clock`` (None:
    until Ctrl-C when interactive); the exit status is then the source's ``exit_status``.
    Stopped on purpose (``frames``, ``duration``, Ctrl-C, SIGTERM), the stream
    ends too, before the displays are cleaned up (see :func:`stop_reason`).
    Ctrl-C exits 130, SIGTERM 143, a display that cannot start 1; a bad name
    or option raises before anything starts.
    """
    asked = size
    size = size or default_size(display_specs)
    source = open_source_spec(source_spec, size, fps, source_options)
    if asked is not None and (source.width, source.height) != asked:
        close_source(source)
        raise UsageError(
            f"--size {asked[0]}x{asked[1]} does not apply: source {parse_spec(source_spec)[0]!r} keeps its own size "
            f"{source.width}x{source.height} (a recording is played at the size its output was laid out for); "
            "leave --size out"
        )
    try:
        stream = open_displays(display_specs)
    except BaseException:  # a bad display option: the source (a started program) must not outlive the run
        close_source(source)
        raise
    err = sys.stderr
    # The terminal display draws on this terminal: a status line there would scribble over it.
    # So does a shared program (glyphcast share): its owner is using it in this terminal.
    draws_here = (
        any(name == "terminal" for name in (a.name for a in stream.displays)) and sys.stdout.isatty()
    ) or (isinstance(source, TerminalSource) and source.draws_on_terminal)
    status = StatusLine(stream, err) if err.isatty() and not draws_here else None
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    code = EXIT_OK
    runner: Runner | None = None
    ended = False
    stopped: str | None = None  # why the run was stopped, when it was
    try:
        if not start_displays(stream, source.width, source.height, err):
            return EXIT_FAILED
        runner = Runner(source, stream, fps=fps, frames=frames, duration=duration, tick=status)
        with controlled_by_clients(runner):
            stats = runner.run()
        if stats.ended == "source":
            if status is not None:
                status.finish(stats)
                status = None
            ended = True
            code = end_stream(source, stream)
            _linger(stream, linger, err, clock)
        else:
            stopped = _limit_reached(stats, duration)
    except KeyboardInterrupt:
        code, stopped = EXIT_INTERRUPTED, "interrupted (SIGINT)"
    except Terminated:
        code, stopped = EXIT_TERMINATED, "terminated (SIGTERM)"
    finally:
        # A second SIGTERM must not cut cleanup short: the terminal would stay without a cursor.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        reason = stop_reason(source, stopped) if not ended else None
        if reason is not None:
            stream.end(reason)
        if status is not None and runner is not None:
            status.finish(runner.stats)
        stream.cleanup()
        signal.signal(signal.SIGTERM, previous)
        close_source(source)
    return code


def start_displays(stream: Stream, width: int, height: int, err: TextIO) -> bool:
    """Start every display at the source's size and say where they serve; False (and why) if any failed."""
    stream.init(width, height)
    if stream.displays and not any(a.active for a in stream.displays):
        print(f"glyphcast: error: every display failed: {stream.status()}", file=err)
        return False
    failed = [a for a in stream.displays if not a.active]
    for attached in failed:
        print(f"glyphcast: error: display {attached.name!r} could not start: {attached.error}", file=err)
    if failed:
        return False
    _print_addresses(stream, err)
    return True


def end_stream(source: Source, stream: Stream) -> int:
    """The source ended by itself: viewers are told why (they stop instead of reconnecting to nothing);
    the source's exit status (a shared program's) is the run's."""
    stream.end((source.end_reason if isinstance(source, EndingSource) else None) or "the source ended")
    exit_status = source.exit_status if isinstance(source, ExitingSource) else None
    return exit_status if isinstance(exit_status, int) else EXIT_OK


def stop_reason(source: Source, stopped: str | None) -> str | None:
    """What viewers are told (``end``) when a run is stopped before its source ended: ``stopped``
    (``"stopped after 90 frames (--frames)"``, ``"terminated (SIGTERM)"``, ...): its producer
    stopped on purpose, so the stream is over. None (no ``end``: viewers are closed with 1001 and
    reconnect) when nothing stopped it, or when the source ``relays`` a stream produced elsewhere (a
    Redis edge): the edge going away does not end its producer's stream."""
    if stopped is None or getattr(source, "relays", False):
        return None
    return stopped


def _limit_reached(stats: RunStats, duration: float | None) -> str:
    if stats.ended == "frames":
        return f"stopped after {stats.frames} frames (--frames)"
    if stats.ended == "duration" and duration is not None:
        return f"stopped after {duration:g} s (--duration)"
    return "stopped"


def _serves_viewers(stream: Stream) -> bool:
    return any(isinstance(a.display, ServingDisplay) and a.display.url for a in stream.displays if a.active)


def _linger(stream: Stream, linger: float | None, err: TextIO, clock: Clock) -> None:
    """After an end, keep serving the last screen to late viewers: ``linger`` seconds, or (None) until
    Ctrl-C when interactive. Ctrl-C or SIGTERM while lingering is the normal way out."""
    if not _serves_viewers(stream):
        return
    if linger is None:
        if not sys.stdin.isatty():
            return
        print(
            "glyphcast: the stream ended; viewers still see its last screen. Press Ctrl-C to stop.",
            file=err,
            flush=True,
        )
        linger = float("inf")
    if linger <= 0:
        return
    try:
        clock.wait(None if linger == float("inf") else linger)
    except (KeyboardInterrupt, Terminated):
        return


class _ClientControls:
    """The run's hooks for what controllers send: a new size goes to the runner (applied between
    frames), keystrokes to a source that takes them (``write``, e.g. a shared program). With
    ``stream``, only that stream's controllers count (``serve`` runs one source per stream)."""

    def __init__(self, runner: Runner, stream: str | None = None) -> None:
        self.runner = runner
        self.stream = stream
        source = runner.source
        self.write: Callable[[str], None] | None = (
            source.write if isinstance(source, WritableSource) else None
        )

    def _ours(self, client: ClientInfo) -> bool:
        return self.stream is None or client.stream == self.stream

    @hookimpl
    def client_resize(self, width: int, height: int, client: ClientInfo) -> str | None:
        if not self._ours(client) or self.runner.request_resize(width, height):
            return None
        return f"this stream keeps its own size ({type(self.runner.source).__name__} cannot follow a resize)"

    @hookimpl
    def client_input(self, data: str, client: ClientInfo) -> None:
        if self.write is not None and self._ours(client):
            self.write(data)


@contextmanager
def controlled_by_clients(runner: Runner, stream: str | None = None) -> Iterator[None]:
    """While inside, controllers' resizes go to ``runner`` and their keystrokes to its source (with
    ``stream``: only the controllers of that named stream)."""
    manager = get_registry().manager
    controls = _ClientControls(runner, stream)
    manager.register(controls, name=f"glyphcast-run-controls-{id(controls)}")
    try:
        yield
    finally:
        manager.unregister(controls)


def close_source(source: Source) -> None:
    """Call the source's ``close()`` if it has one (a started program is ended)."""
    if isinstance(source, ClosableSource):
        source.close()


def _print_addresses(stream: Stream, err: TextIO) -> None:
    """Where each serving display is, and (once per link) the controller link a display offers."""
    shown: set[str] = set()
    for attached in stream.displays:
        display = attached.display
        if isinstance(display, ServingDisplay) and display.url:
            print(f"glyphcast: {attached.name}: serving {display.url}", file=err, flush=True)
        controller = display.controller_url if isinstance(display, ControllableDisplay) else None
        if controller and controller not in shown:
            shown.add(controller)
            print(
                f"glyphcast: {attached.name}: to control it, open {controller}\n"
                "glyphcast:   (this link lets whoever has it type into the stream: share it only with them)",
                file=err,
                flush=True,
            )


__all__ = [
    "DEFAULT_DISPLAYS",
    "StatusLine",
    "Terminated",
    "close_source",
    "controlled_by_clients",
    "default_displays",
    "default_size",
    "end_stream",
    "open_source_spec",
    "play",
    "raise_terminated",
    "start_displays",
    "stop_reason",
]
