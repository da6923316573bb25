"""The Display protocol (the legacy interface) and a base class that implements it.

Rule for every display: ``show()`` returns in O(1). It never waits on a socket,
a disk or a client; a display that does I/O owns a worker and ``show()`` only
hands the frame over.
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

from glyphcast.border import FrameMeter, render_border
from glyphcast.errors import DisplayError as DisplayError  # old import path, still public
from glyphcast.frame import Frame
from glyphcast.protocol import ProducerState


@runtime_checkable
class Display(Protocol):
    """What an engine calls. Kept exactly as the legacy WebSocketDisplay had it."""

    def init(self, width: int, height: int, reuse: bool = False) -> None:
        """Set the size and start any I/O. ``reuse=True`` on a running display only resizes."""

    def show(self, buffer: list[str], border: bool = False) -> None:
        """Hand one frame over; must return in O(1)."""

    def clear(self) -> None:
        """Blank the screen."""

    def cleanup(self) -> None:
        """Stop all I/O and release resources. Safe to call twice."""

    def get_dimensions(self) -> tuple[int, int]:
        """(width, height) in character cells."""

    def is_available(self) -> bool:
        """Whether this display can work here (libraries present, terminal attached, ...)."""


@runtime_checkable
class ProducerDisplay(Protocol):
    """A display whose viewers are told whether the stream's producer is heard from (protocol v1.2 ``producer``).

    Optional: a :class:`~glyphcast.Displays` tells the displays that have this
    method and no others. It is called on a change only (and once for a
    display attached while the producer is not "live"), on the runner's
    thread, and returns in O(1) as ``show()`` does. Every display starts out
    assuming "live". The hub (``websocket``) implements it.
    """

    def producer(self, state: ProducerState) -> None:
        """The producer is heard from ("live"), went silent ("stalled"), or cannot be reached ("reconnecting")."""


@runtime_checkable
class ServingDisplay(Protocol):
    """A display that viewers open at an address (the WebSocket hub's page): ``glyphcast`` prints
    it, and after the source ended the run lingers on the last screen for them.

    Optional, as are the protocols of a :class:`~glyphcast.Source`: checked with
    ``isinstance``, which looks at the members' names only; name it as a base
    class for mypy to check the types.
    """

    @property
    def url(self) -> str:
        """Where viewers open the stream."""


@runtime_checkable
class ControllableDisplay(Protocol):
    """A display that hands out a link for controllers: ``glyphcast`` prints it once, with a warning
    to share it only with them."""

    @property
    def controller_url(self) -> str | None:
        """A link that makes whoever opens it a controller (it carries the control token); None when
        nobody may control the stream."""


class FrameDisplay:
    """Base class for glyphcast's displays: the legacy interface on top of ``show_frame``.

    Subclasses implement ``deliver(frame)`` (O(1): hand over, don't do I/O; see
    :mod:`glyphcast.handoff`) and, if they do I/O, ``start()``/``stop()``.
    ``show()`` numbers the frame and calls ``show_frame(frame)`` once, which
    starts or resizes the display as needed and calls ``deliver``; a
    :class:`~glyphcast.Displays` calls each display's ``show_frame`` once per frame,
    so every display sees the stream's seq. A worker that hits an error calls
    ``fail(error)``: the next ``show()`` raises it, so a :class:`~glyphcast.Displays`
    disables the display and reports it instead of the error vanishing in a thread.

    ``show()`` after ``cleanup()`` is ignored: engines often draw once more while
    shutting down, and a closed display must not restart its I/O.
    """

    def __init__(self, width: int = 80, height: int = 24) -> None:
        self.width = width
        self.height = height
        self.closed = False
        self.started = False
        self.frames_shown = 0
        self._seq = 0
        self._failure: BaseException | None = None
        self._meter = FrameMeter()
        self._lifecycle = threading.Lock()

    # -- the legacy interface -----------------------------------------------
    def init(self, width: int, height: int, reuse: bool = False) -> None:
        resized = (width, height) != (self.width, self.height)
        self.width, self.height = width, height
        with self._lifecycle:
            if self.closed:
                return
            if not self.started:
                self.start()
                self.started = True
                return
        if resized:
            self.resize(width, height)

    def show(
        self,
        buffer: list[str],
        border: bool = False,
        cursor: tuple[int, int] | None = None,
        *,
        seq: int | None = None,
        ts: float | None = None,
    ) -> None:
        """Hand one frame over (O(1)). ``cursor`` is ``(col, row)`` for a terminal program's cursor
        (protocol v1.1); engines leave it out and no cursor is drawn.

        ``seq`` and ``ts`` are for frames numbered elsewhere (a source that relays
        another process's stream): the frame keeps them, and later frames are
        numbered on from ``seq``. Engines leave them out.
        """
        self._meter.tick()
        if border:
            buffer = render_border(buffer, self.width, self.height, self._meter.fps, self._meter.interval_ms)
        if seq is None:
            self._seq += 1
        else:
            self._seq = seq
        self.show_frame(Frame.from_buffer(buffer, self.width, self.height, self._seq, ts=ts, cursor=cursor))

    def clear(self) -> None:
        """Default: nothing to blank. Displays with a screen override this."""

    def end(self, reason: str) -> None:
        """The source ended on purpose (a program exited, a replay finished): ``reason`` says how.

        Displays with viewers tell them (the websocket display sends ``end`` and
        closes with 1000, so viewers stop instead of reconnecting). ``cleanup()``
        still follows. Default: nothing to tell.
        """

    def cleanup(self) -> None:
        with self._lifecycle:
            if self.closed:
                return
            self.closed = True
            was_started = self.started
        if was_started:
            self.stop()

    def get_dimensions(self) -> tuple[int, int]:
        return (self.width, self.height)

    def is_available(self) -> bool:
        return True

    # -- for subclasses -----------------------------------------------------
    def show_frame(self, frame: Frame) -> None:
        """Hand ``frame`` over. Stream calls this directly so every display sees the same seq."""
        self.raise_failure()
        if self.closed:
            return
        if not self.started:
            self.init(frame.width, frame.height)
        elif (frame.width, frame.height) != (self.width, self.height):
            self.width, self.height = frame.width, frame.height
            self.resize(frame.width, frame.height)
        self.frames_shown += 1
        self.deliver(frame)

    def deliver(self, frame: Frame) -> None:
        """Take one frame (O(1)). Called by ``show_frame`` once the display is running."""
        raise NotImplementedError

    def start(self) -> None:
        """Start I/O (servers, threads, files). Called once, by the first ``init``/``show``."""

    def stop(self) -> None:
        """Stop I/O and join workers. Called once, by the first ``cleanup``."""

    def resize(self, width: int, height: int) -> None:
        """The stream changed size while running."""

    def fail(self, error: BaseException) -> None:
        """Record a worker's error; the next ``show()`` raises it."""
        if self._failure is None:
            self._failure = error

    def raise_failure(self) -> None:
        if self._failure is not None:
            raise DisplayError(f"{type(self).__name__} failed: {self._failure}") from self._failure
