"""Displays: one producer, many displays side by side on the same frames.

A :class:`Displays` (what :func:`glyphcast.open_displays` returns; its old name,
``Stream``, is kept as an alias) is itself a Display, so an engine that knows one display can drive
many. A display that raises is disabled, reported once (log + ``display_error``
hook) and the others go on. Frames are looked up and delivered directly: no
hook calls per frame.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Self

from glyphcast.display import Display, FrameDisplay, ProducerDisplay
from glyphcast.frame import Frame
from glyphcast.protocol import PRODUCER_LIVE, ProducerState, producer_state

log = logging.getLogger("glyphcast")


@dataclass(slots=True)
class Attached:
    """A display in a stream, with its state; ``producer`` is its
    :meth:`~glyphcast.ProducerDisplay.producer`, None for a display that does not show it."""

    name: str
    display: Display
    deliver: Callable[[Frame], None]
    error: BaseException | None = None
    producer: Callable[[ProducerState], None] | None = None

    @property
    def active(self) -> bool:
        return self.error is None

    @property
    def state(self) -> str:
        if self.error is not None:
            return f"failed: {self.error}"
        status = getattr(self.display, "status", None)
        return str(status()) if callable(status) else "ok"


def _deliverer(display: Display) -> Callable[[Frame], None]:
    show_frame: Callable[[Frame], None] | None = getattr(display, "show_frame", None)
    if callable(show_frame):
        return show_frame

    def show_rows(frame: Frame) -> None:
        display.show(list(frame.rows))

    return show_rows


class Displays(FrameDisplay):
    """Fans one producer's frames out to many displays. Use as a context manager to clean up."""

    def __init__(
        self,
        displays: Iterable[Display | tuple[str, Display]] = (),
        width: int = 80,
        height: int = 24,
    ) -> None:
        super().__init__(width, height)
        self.current: Frame | None = None
        #: What the displays were last told about the producer (:meth:`producer`).
        self.producer_state: ProducerState = PRODUCER_LIVE
        self._attached: tuple[Attached, ...] = ()
        self._lock = threading.Lock()
        for item in displays:
            if isinstance(item, tuple):
                self.add(item[1], name=item[0])
            else:
                self.add(item)

    # -- membership ---------------------------------------------------------
    @property
    def displays(self) -> tuple[Attached, ...]:
        return self._attached

    def add(self, display: Display, name: str | None = None) -> Attached:
        """Attach a display; on a running stream it is initialised and gets the current frame (and the
        producer's state, unless "live")."""
        attached = Attached(
            name or type(display).__name__,
            display,
            _deliverer(display),
            producer=display.producer if isinstance(display, ProducerDisplay) else None,
        )
        with self._lock:
            self._attached = (*self._attached, attached)
        if self.started and not self.closed:
            self._guard(attached, display.init, self.width, self.height)
            if self.current is not None:
                self._guard(attached, attached.deliver, self.current)
            self._tell_producer(attached)
        return attached

    def _tell_producer(self, attached: Attached) -> None:
        """A display that just started hears that the producer is silent (it assumes "live")."""
        if attached.producer is not None and self.producer_state != PRODUCER_LIVE:
            self._guard(attached, attached.producer, self.producer_state)

    def remove(self, display: Display) -> None:
        """Detach a display (without cleaning it up)."""
        with self._lock:
            self._attached = tuple(a for a in self._attached if a.display is not display)

    def _guard(self, attached: Attached, call: Callable[..., Any], *args: Any) -> None:
        if attached.error is not None:
            return
        try:
            call(*args)
        except Exception as error:  # noqa: BLE001 - reported (log + hook) and the display disabled
            self._disable(attached, error)

    def _disable(self, attached: Attached, error: BaseException) -> None:
        attached.error = error
        log.error("display %r failed and was disabled: %s", attached.name, error)
        from glyphcast.plugins import hook

        try:
            hook().display_error(name=attached.name, display=attached.display, error=error)
        except Exception:
            log.exception("a display_error hook raised while reporting %r", attached.name)

    # -- FrameDisplay -------------------------------------------------------
    def start(self) -> None:
        for attached in self._attached:
            self._guard(attached, attached.display.init, self.width, self.height)
            self._tell_producer(attached)

    def resize(self, width: int, height: int) -> None:
        for attached in self._attached:
            self._guard(attached, attached.display.init, width, height, True)

    def deliver(self, frame: Frame) -> None:
        self.current = frame
        for attached in self._attached:
            if attached.error is None:
                try:
                    attached.deliver(frame)
                except Exception as error:  # noqa: BLE001 - reported (log + hook) and the display disabled
                    self._disable(attached, error)

    def clear(self) -> None:
        for attached in self._attached:
            self._guard(attached, attached.display.clear)

    def end(self, reason: str) -> None:
        """The source ended on purpose: every display that has an ``end(reason)`` is told (then clean up)."""
        for attached in self._attached:
            end = getattr(attached.display, "end", None)
            if callable(end):
                self._guard(attached, end, reason)

    def producer(self, state: ProducerState) -> None:
        """The producer of a relayed stream is heard from ("live"), went silent ("stalled") or cannot be
        reached ("reconnecting"): on a change, the displays that show it are told
        (:class:`~glyphcast.ProducerDisplay`). :class:`ValueError` for any other state."""
        state = producer_state(state)
        if state == self.producer_state:
            return
        self.producer_state = state
        if not self.started:
            return  # each display is told when it starts
        for attached in self._attached:
            if attached.producer is not None:
                self._guard(attached, attached.producer, state)

    def marker(self, label: str) -> None:
        """Label this point of the stream: recordings write an "m" event; the ``marker`` hook fires."""
        from glyphcast.frame import now_ms
        from glyphcast.plugins import hook

        for attached in self._attached:
            set_marker = getattr(attached.display, "marker", None)
            if callable(set_marker):
                self._guard(attached, set_marker, label)
        hook().marker(label=label, ts=now_ms())

    def stop(self) -> None:
        for attached in self._attached:
            try:
                attached.display.cleanup()
            except Exception as error:  # noqa: BLE001 - logged; the other displays still get cleaned up
                log.error("display %r failed to clean up: %s", attached.name, error)

    def is_available(self) -> bool:
        return any(a.display.is_available() for a in self._attached)

    def status(self) -> str:
        return ", ".join(f"{a.name}: {a.state}" for a in self._attached)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


#: The old name of :class:`Displays`, kept for engines that import it (DESIGN.md says ``Stream.events()``).
Stream = Displays
