"""One named stream on a hub: its displays, codecs, access rules, newest frame and clients.

A hub (one server on one host and port) carries any number of named streams
(the protocol's *stream*: ``hello.stream``, the URLs, the ``stream=`` option).
The stream named :data:`MAIN` is served at ``/`` and ``/ws``; stream ``NAME`` at
``/s/NAME/`` and ``/s/NAME/ws``. Streams share nothing but the socket: each has
its own latest frame, sessions, tokens and limits, so frames never cross
from one stream to another. (The hub's attributes and variables that hold one
are still called ``room``, the class's old name.)

Frames reach the hub's loop through one :class:`~glyphcast.handoff.LatestSlot`
per stream: a frame shown while the loop is busy replaces the one waiting, so
the engine pays one thread hop per frame per stream however many displays
share it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from glyphcast import Codec, DisplayError, Frame
from glyphcast.clock import Clock
from glyphcast.handoff import Cleared, Ended, LatestSlot
from glyphcast.protocol import ProducerState, producer_state

from glyphcast_websocket.delivery import EncodeCache
from glyphcast_websocket.events import HubListener, Listeners
from glyphcast_websocket.fanout import FanOut
from glyphcast_websocket.handshake import EnabledCodecs
from glyphcast_websocket.loopthread import LoopClock, LoopThread
from glyphcast_websocket.metrics import StreamCounters
from glyphcast_websocket.presence import PresenceSchedule, count
from glyphcast_websocket.security import Policy
from glyphcast_websocket.session import Limits, Session
from glyphcast_websocket.settings import Settings

#: The stream a display joins unless it names one; served at ``/``.
MAIN = "main"
#: Stream names go into URL paths as they are: lower-case letters, digits, ``-`` and ``_``.
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def check_name(name: str) -> str:
    """``name`` if it can name a stream, else a one-line DisplayError saying what can."""
    if not NAME.fullmatch(name):
        raise DisplayError(
            f"stream name {name!r} is not usable in a URL: use 1-64 of a-z, 0-9, '-' and '_', "
            "starting with a letter or digit"
        )
    return name


class NamedStream:
    """One stream on a hub; frames and clear/end come in from displays (any thread), O(1)."""

    def __init__(
        self, name: str, settings: Settings, policy: Policy, thread: LoopThread, clock: Clock | None = None
    ) -> None:
        self.name = check_name(name)
        self.settings = settings
        self.policy = policy
        self.thread = thread
        self.listeners = Listeners()
        self.codecs = EnabledCodecs()
        self.fanout = FanOut()
        #: What presence is paced on: real time, its timers on the hub's loop, unless a test puts
        #: a :class:`~glyphcast.clock.FakeClock` here before clients join.
        self.clock: Clock = clock or LoopClock()
        self.presence = PresenceSchedule()
        self.limits = Limits(settings.rate, settings.burst)
        #: Frames handed to this room (frames shown while the loop was busy are skipped, not sent).
        self.frames = 0
        #: What its clients were sent, kept when they leave (``/metrics``).
        self.counters = StreamCounters()
        self._incoming: LatestSlot[Frame | Cleared | Ended] = LatestSlot()
        self._offered: Frame | None = None
        #: The seq of the newest frame handed over (0 before the first): a clear comes after it.
        self._last_seq = 0
        self._taken: Frame | Cleared | Ended | None = None
        #: Set on the engine's thread by :meth:`end`, so the loop knows at once (before it takes the end).
        self.ended = False

    @property
    def prefix(self) -> str:
        """The URL path of this stream's page, ``/`` or ``/s/NAME/``."""
        return "/" if self.name == MAIN else f"/s/{self.name}/"

    @property
    def sessions(self) -> tuple[Session, ...]:
        return self.fanout.sessions

    @property
    def subprotocols(self) -> Iterable[str]:
        """The codecs this stream offers now."""
        return self.codecs.by_subprotocol.keys()

    @property
    def latest(self) -> Frame | None:
        return self.fanout.latest

    @property
    def cache(self) -> EncodeCache:
        return self.fanout.cache

    # -- displays (any thread) ------------------------------------------------
    def attach(self, listener: HubListener, codecs: Iterable[Codec]) -> None:
        """Add a display and the codecs it enables (counted across displays)."""
        self.codecs.add(codecs)
        self.listeners.add(listener)

    def detach(self, listener: HubListener, codecs: Iterable[Codec]) -> None:
        self.codecs.remove(codecs)
        self.listeners.remove(listener)

    def deliver(self, frame: Frame) -> None:
        """Hand ``frame`` to the loop: at most one wake-up is pending, the newest frame wins.

        Displays sharing this room are shown the same Frame object; the first
        one hands it over and the others find it already offered.
        """
        if frame is self._offered or self.ended:
            return
        self._offered, self._last_seq = frame, frame.seq
        self.frames += 1
        self._hand_over(frame)

    def clear(self) -> None:
        """Blank every client's screen, in order with the frames shown before and after it.

        A clear is handed over like a frame: a frame shown after it replaces it
        (the screen ends on that frame, as the engine left it), and it replaces
        a frame shown before it that the loop had not taken yet.
        """
        self._offered = None
        self._hand_over(Cleared(self._last_seq))

    def end(self, reason: str) -> None:
        """The source ended: every client gets the final frame, ``end`` {seq, reason} and a close with 1000.

        Handed over like a frame, carrying the newest frame so that it is
        never lost to the slot's latest-wins. Frames shown after it are dropped.
        """
        if self.ended:
            return
        self.ended = True
        self._hand_over(Ended(self._offered, reason))

    def producer(self, state: ProducerState) -> None:
        """Whether the producer is heard from (protocol v1.2): every client is told on the loop, in order
        with earlier calls (the last one wins), and a client that joins while it is not "live" is told too.
        :class:`ValueError` here, on the caller's thread, for a state outside the protocol."""
        self.thread.call(self.fanout.broadcast_producer, producer_state(state))

    def _hand_over(self, item: Frame | Cleared | Ended) -> None:
        if self._incoming.put(item):
            self.thread.call(self._take_incoming)

    def call(self, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(*args)`` on the hub's loop (broadcast_state, ...)."""
        self.thread.call(function, *args)

    def close(self) -> None:
        """Refuse further frames (the hub is stopping)."""
        self._incoming.close()

    # -- on the hub's loop -------------------------------------------------------
    def join(self, s: Session) -> None:
        """A client's handshake completed: it gets the newest frame, and the others the new counts."""
        self.fanout.add(s)
        self._presence_changed()
        self.counters.joined(s)

    def leave(self, s: Session) -> None:
        """A client's connection ended (however it ended)."""
        self.fanout.remove(s)
        self._presence_changed()
        self.counters.left(s)

    def broadcast_state(self, state: dict[str, Any]) -> None:
        self.fanout.broadcast_state(state)

    def _presence_changed(self) -> None:
        """The counts changed: broadcast them when :attr:`presence` says, on one timer per stream at most."""
        delay = self.presence.changed(self.clock.now())
        if delay == 0:
            # Later in this loop iteration, not now: clients that join together get one presence.
            self.thread.call(self._broadcast_presence)
        elif delay is not None:
            # A clock may call back on a thread of its own (a FakeClock: the test's); the counts live on the loop.
            self.clock.call_later(delay, partial(self.thread.call, self._broadcast_presence))

    def _broadcast_presence(self) -> None:
        counts = count(s.info.role for s in self.fanout.sessions)
        sent = self.fanout.broadcast_presence(counts.viewers, counts.controllers)
        self.presence.fired(self.clock.now(), sent)

    def _take_incoming(self) -> None:
        item = self._incoming.take_nowait()
        if item is None or item is self._taken:  # a wake-up may find the item it already took
            return
        self._taken = item
        if isinstance(item, Cleared):
            self.fanout.clear()
        elif isinstance(item, Ended):
            if item.final is not None and item.final is not self.fanout.latest:
                self.fanout.publish(item.final)
            self.fanout.end(item.reason)
        else:
            self.fanout.publish(item)

    def health(self) -> dict[str, Any]:
        """This stream's part of ``/healthz``: clients per codec, frames, the newest seq."""
        clients: dict[str, int] = dict.fromkeys(self.codecs.by_subprotocol, 0)
        for s in self.sessions:
            clients[s.codec.subprotocol] = clients.get(s.codec.subprotocol, 0) + 1
        return {
            "stream": self.name,
            "clients": clients,
            "clients_total": len(self.sessions),
            "frames": self.frames,
            "seq": self.latest.seq if self.latest is not None else None,
            "ended": self.fanout.ended,
            "codecs": sorted(self.codecs.by_subprotocol),
        }
