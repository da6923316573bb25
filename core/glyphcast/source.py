"""Sources: where frames come from when glyphcast itself drives the loop (CLI, demos, replay)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from glyphcast.protocol import ProducerState


@dataclass(frozen=True, slots=True)
class Cue:
    """One step of a source.

    ``rows`` is a frame to show (None for a step that only resizes, clears or marks).
    ``at`` is when to show it, in seconds from the start of the source; None means
    "paced by the runner's --fps". ``size`` resizes the stream first; ``clear``
    blanks it first; ``marker`` labels this point (recordings write it as an "m" event).
    ``cursor`` goes with ``rows``: a terminal program's cursor, ``(col, row)``, or None.
    ``seq`` and ``ts`` also go with ``rows``, for a source that carries frames numbered
    elsewhere (the ``redis`` source reproduces a producer's frames): the frame gets
    exactly this seq and ts instead of the stream's next number and the wall clock,
    and the stream numbers on from that seq. Leave them None otherwise.
    ``producer``, for such a source, says that the producer it relays is heard from
    again ("live"), went silent ("stalled") or cannot be reached ("reconnecting");
    the stream tells the displays that show it (:class:`~glyphcast.ProducerDisplay`).
    Give it on a change only; None (the default) changes nothing.
    """

    rows: Sequence[str] | None = None
    at: float | None = None
    size: tuple[int, int] | None = None
    clear: bool = False
    marker: str | None = None
    cursor: tuple[int, int] | None = None
    seq: int | None = None
    ts: float | None = None
    producer: ProducerState | None = None


@runtime_checkable
class Source(Protocol):
    """An iterable of :class:`Cue` with a starting size.

    Registered through the ``register_sources`` hook as a factory called
    ``factory(width=..., height=..., **options)``; a source that knows its own
    size (a recording) may ignore the width and height it is offered.

    A source may also offer what the protocols below describe, each one
    optional: :class:`~glyphcast.source.ResizableSource`,
    :class:`~glyphcast.source.WritableSource`, :class:`~glyphcast.source.ClosableSource`,
    :class:`~glyphcast.source.EndingSource`, :class:`~glyphcast.source.ExitingSource`,
    :class:`~glyphcast.source.TerminalSource`. glyphcast checks for them with ``isinstance``,
    which looks at the members' names only: a class may simply have them, or
    name the protocols as base classes, so that mypy checks their types.
    ``relays`` (True for a source that carries a stream produced elsewhere, the
    ``redis`` source: stopping it, by a signal or a limit, is that server going
    away, not the stream's end; see :func:`glyphcast.play.stop_reason`).
    """

    width: int
    height: int

    def __iter__(self) -> Iterator[Cue]: ...


@runtime_checkable
class ResizableSource(Protocol):
    """A source that follows a controller's resize.

    The runner calls :meth:`resize` on its own thread, between two frames; the
    next cue has the new size. A source that may be resized from any thread
    says so with :class:`ResizableFromAnyThread`.
    """

    def resize(self, width: int, height: int) -> None:
        """Lay the next frames out at ``width`` x ``height`` cells."""


@runtime_checkable
class ResizableFromAnyThread(ResizableSource, Protocol):
    """A :class:`ResizableSource` whose :meth:`~ResizableSource.resize` is safe on any thread (``pty``:
    it wakes its own loop): the runner resizes it at once, so an idle program need not draw first."""

    @property
    def resizes_from_any_thread(self) -> bool:
        """True when :meth:`~ResizableSource.resize` may be called from any thread."""


@runtime_checkable
class WritableSource(Protocol):
    """A source that takes a controller's keystrokes (a shared program): the ``input`` of the protocol."""

    def write(self, data: str) -> None:
        """Type ``data`` into the source. Called on the hub's thread: hand it over, never block."""


@runtime_checkable
class ClosableSource(Protocol):
    """A source that holds something to let go of (a started program, a connection)."""

    def close(self) -> None:
        """Release it; called once the run is over, however it ended. Safe to call twice."""


@runtime_checkable
class EndingSource(Protocol):
    """A source that says how it ended, so that viewers are told why (``end`` {reason})."""

    @property
    def end_reason(self) -> str | None:
        """How the source ended, in a few words ("the recording ended"); None while it runs."""


@runtime_checkable
class ExitingSource(Protocol):
    """A source whose end has an exit status (a program's): what ``glyphcast`` exits with."""

    @property
    def exit_status(self) -> int | None:
        """The status (128 + N for a program killed by signal N); None while it runs."""


@runtime_checkable
class TerminalSource(Protocol):
    """A source that draws on the terminal glyphcast runs in (``glyphcast share``: the program is used
    there too), so nothing else may write to that terminal (a status line)."""

    @property
    def draws_on_terminal(self) -> bool:
        """True while the source draws on this terminal."""
