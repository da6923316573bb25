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

    Optional, looked up by name: ``resize(width, height)`` (follows a
    controller's resize), ``write(data)`` (takes a controller's keystrokes),
    ``close()`` (called after the run), ``end_reason`` (a str: how the source
    ended, sent to viewers with ``end``), ``exit_status`` (an int: what
    ``glyphcast`` exits with when the source ended, e.g. a shared program's) and
    ``relays`` (True for a source that carries a stream produced elsewhere, the
    ``redis`` source: stopping it, by a signal or a limit, is that server going
    away, not the stream's end; see :func:`glyphcast.play.stop_reason`).
    """

    width: int
    height: int

    def __iter__(self) -> Iterator[Cue]: ...
