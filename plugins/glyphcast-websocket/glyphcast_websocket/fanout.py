"""Fan-out on the hub's loop: the newest frame, the sessions, and the writes (the hot path).

:meth:`FanOut.publish` writes to every session whose socket is below its write
limit; a full socket gets one drain waiter, which writes the newest frame when
it drains. The one function that writes frames is :meth:`FanOut.pump`; what it
writes is decided by each session's sans-I/O protocol and the shared
:class:`~glyphcast_websocket.delivery.EncodeCache`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from glyphcast import Codec, Frame, protocol
from glyphcast.protocol import ProducerState

from glyphcast_websocket.delivery import EncodeCache, Wire
from glyphcast_websocket.ratelog import RateLimitedLog
from glyphcast_websocket.session import Session

log = logging.getLogger("glyphcast.websocket")
errors = RateLimitedLog(log)


class FanOut:
    """The sessions of one stream and its newest frame; every method runs on the hub's loop."""

    def __init__(self) -> None:
        self.sessions: tuple[Session, ...] = ()
        self.latest: Frame | None = None
        self.cache = EncodeCache()
        #: Why the stream ended, once it has: every session (and any that joins later) gets ``end``.
        self.ended: str | None = None
        #: Whether the producer is heard from (protocol v1.2): sent on change, and to joiners while not "live".
        self.producer: ProducerState = protocol.PRODUCER_LIVE
        self._closes: set[asyncio.Task[None]] = set()

    def add(self, s: Session) -> None:
        self.sessions = (*self.sessions, s)
        if self.ended is not None:
            s.protocol.end(self._notice(s.codec, protocol.end(self._seq(), self.ended), {}))
        elif self.producer != protocol.PRODUCER_LIVE:
            s.outbox.producer(self._notice(s.codec, protocol.producer(self.producer), {}), self.producer)
        self.pump(s)

    def remove(self, s: Session) -> None:
        self.sessions = tuple(x for x in self.sessions if x is not s)
        if s.drainer is not None:
            s.drainer.cancel()

    def publish(self, frame: Frame) -> None:
        """Make ``frame`` the newest and write it to every session that can take it now.

        A frame whose seq does not follow the newest one starts a new numbering
        (another producer, or a restarted one): every session gets it as a
        keyframe, with its own seq.
        """
        latest = self.latest
        if latest is not None and frame.seq <= latest.seq:
            self.cache = EncodeCache()
            for s in self.sessions:
                s.protocol.restart()
        self.latest = frame
        self._pump_all()

    def _seq(self) -> int:
        return self.latest.seq if self.latest is not None else 0

    @staticmethod
    def _notice(codec: Codec, message: dict[str, Any], encoded: dict[str, Wire]) -> Wire:
        """``message`` in ``codec``, encoded once per codec across the sessions (``encoded`` is the cache)."""
        wire = encoded.get(codec.subprotocol)
        if wire is None:
            wire = encoded[codec.subprotocol] = Wire.of(codec.encode(message))
        return wire

    def clear(self) -> None:
        """Blank every client's screen; the next frame goes out as a keyframe."""
        message = protocol.clear(self._seq())
        self.latest = None
        encoded: dict[str, Wire] = {}
        for s in self.sessions:
            s.protocol.clear(self._notice(s.codec, message, encoded))
        self._pump_all()

    def end(self, reason: str) -> None:
        """The source ended: each session gets the final frame, then ``end``, then a close with 1000."""
        self.ended = reason
        message = protocol.end(self._seq(), reason)
        encoded: dict[str, Wire] = {}
        for s in self.sessions:
            s.protocol.end(self._notice(s.codec, message, encoded))
        self._pump_all()

    async def finish(self, timeout: float) -> None:
        """After an end: wait (at most ``timeout`` s) for every session to be sent ``end`` and closed.

        A session whose socket stays full does not get it in time; the
        server's shutdown then closes it with 1001 like any other.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while any(not s.closing for s in self.sessions) and loop.time() < deadline:
            await asyncio.sleep(0.01)
        if self._closes:
            await asyncio.wait(self._closes, timeout=max(0.0, deadline - loop.time()))

    def broadcast_state(self, state: dict[str, Any]) -> None:
        for s in self.sessions:
            s.outbox.broadcast_state(state)
        self._pump_all()

    def broadcast_presence(self, viewers: int, controllers: int) -> bool:
        """Give the counts to every session that does not have them yet (latest-wins); whether any needed them.

        Not after an end: those sessions are being sent ``end`` and closed.
        """
        if self.ended is not None:
            return False
        counts = (viewers, controllers)
        stale = [s for s in self.sessions if s.outbox.presence_counts != counts and not s.closing]
        message = protocol.presence(viewers, controllers)
        encoded: dict[str, Wire] = {}
        for s in stale:
            s.outbox.presence(self._notice(s.codec, message, encoded), counts)
            if s.drainer is None:
                self.pump(s)
        return bool(stale)

    def broadcast_producer(self, state: ProducerState) -> None:
        """The producer is heard from, or not: every session that has another state gets ``state`` (latest-wins).

        Not after an end: those sessions are being sent ``end`` and closed.
        """
        self.producer = state
        if self.ended is not None:
            return
        message = protocol.producer(state)
        encoded: dict[str, Wire] = {}
        for s in self.sessions:
            if s.outbox.producer_state != state and not s.closing:
                s.outbox.producer(self._notice(s.codec, message, encoded), state)
                if s.drainer is None:
                    self.pump(s)

    def _pump_all(self) -> None:
        for s in self.sessions:
            if s.drainer is None:
                self.pump(s)

    def pump(self, s: Session) -> None:
        """THE hot path: write what ``s`` gets next for as long as its socket takes it.

        The bytes are the shared, pre-framed :class:`~glyphcast_websocket.delivery.Wire` from the encode
        cache (:mod:`.wsio` says why writing them directly is exact). Once the
        socket is above its write limit, one drain waiter picks up the newest
        frame when it drains.
        """
        if s.closing:
            return
        connection = s.connection
        try:
            s.bytes_sent += connection.write_from(s.outbox.next, self.latest, self.cache)
        except Exception as error:  # noqa: BLE001 - logged with its traceback (rate-limited); the client is closed
            errors.exception("send", "could not send to client %s; closing it", s.info.id)
            self.close(s, protocol.CLOSE_INTERNAL, f"server error: {type(error).__name__}")
            return
        if s.protocol.ended:
            self.close(s, protocol.CLOSE_NORMAL, "stream ended")
            return
        if connection.stalled and not s.closing and s.drainer is None:
            connection.stalled = False
            s.stalls += 1
            s.drainer = asyncio.get_running_loop().create_task(self._drain(s))

    async def _drain(self, s: Session) -> None:
        try:
            await s.connection.drain()
        except OSError as error:  # the connection died while full; its handler cleans up
            log.debug("client %s went away while its socket was full: %s", s.info.id, error)
            return
        finally:
            s.drainer = None
        self.pump(s)

    def close(self, s: Session, code: int, reason: str) -> None:
        """Start closing ``s`` (once); nothing more is written to it."""
        if not s.closing:
            s.closing = True
            task = asyncio.get_running_loop().create_task(s.connection.close(code, reason))
            self._closes.add(
                task
            )  # held until done (the loop keeps only weak references), awaited by finish()
            task.add_done_callback(self._closes.discard)
