"""One client's side of the wire protocol, without sockets (as websockets' ``ServerProtocol``).

A :class:`SessionProtocol` is made for a connection the handshake admitted. It
queues the ``hello``, turns each client message into a reply (queued in its
:class:`~glyphcast_websocket.delivery.Outbox`) and, for what the hub must act
on, an event; :meth:`SessionProtocol.next` says which bytes go out next. The
server only moves those bytes::

    session = SessionProtocol(info, codec, limits)
    session.hello(width=80, height=24, codecs=[...])
    event = session.receive(data)          # Resize | Command | Input | StateRequested | Close | None
    wire = session.next(latest, cache)     # the Wire to write, or None when up to date

:class:`Session` is what the I/O side keeps for that client: the connection, the
protocol and the drain waiter. It only holds them; the writes are
:class:`~glyphcast_websocket.fanout.FanOut`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from glyphcast import ClientInfo, Codec, Frame, protocol
from glyphcast.frame import now_ms
from glyphcast.ratelimit import TokenBucket

from glyphcast_websocket import messages
from glyphcast_websocket.delivery import EncodeCache, Outbox, ReplyOverflow, Wire
from glyphcast_websocket.security import CONTROLLER

if TYPE_CHECKING:  # the I/O side's types, named in annotations only: this module does no I/O
    import asyncio

    from glyphcast_websocket.wsio import Connection


@dataclass(frozen=True, slots=True)
class Resize:
    """A controller asked for a new stream size."""

    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Command:
    """A controller's ``command`` (any JSON value)."""

    command: Any


@dataclass(frozen=True, slots=True)
class Input:
    """A controller's keystrokes."""

    data: str


@dataclass(frozen=True, slots=True)
class StateRequested:
    """The client asked for the state; the hub answers with :meth:`SessionProtocol.state`."""


@dataclass(frozen=True, slots=True)
class Close:
    """The connection must be closed with ``code`` (the client broke a bound)."""

    code: int
    reason: str


Event = Resize | Command | Input | StateRequested | Close


@dataclass(frozen=True, slots=True)
class Limits:
    """How much a client may send (messages per second, burst) and leave unread (replies)."""

    rate: float = 50.0
    burst: float = 100.0
    max_replies: int = 256


class SessionProtocol:
    """What one client has been sent and may send next; no I/O."""

    def __init__(self, info: ClientInfo, codec: Codec, limits: Limits = Limits()) -> None:
        self.info = info
        self.codec = codec
        self.outbox = Outbox(codec, max_replies=limits.max_replies)
        self.bucket = TokenBucket(limits.rate, limits.burst)
        #: What the client said about itself in its ``hello`` (name, viewport), if anything.
        self.client_name = ""
        self.viewport: dict[str, Any] | None = None

    def hello(
        self, *, server: str, width: int, height: int, codecs: Iterable[str] = (), stream: str | None = None
    ) -> None:
        """Queue the server's ``hello``: the first message every client gets."""
        self.outbox.reply(
            protocol.hello(
                server=server,
                codec=self.codec.subprotocol,
                width=width,
                height=height,
                role=self.info.role,
                codecs=sorted(codecs),
                stream=stream,
            )
        )

    def receive(self, data: str | bytes) -> Event | None:
        """Check one client message, queue its reply, and return what the hub must act on."""
        event: Event | None = None
        reply: dict[str, Any] | None = None
        try:
            if not self.bucket.take():
                raise messages.rate_limited(self.bucket)
            message = messages.check(messages.decode(data, self.codec), self.info.role)
            reply, event = self._answer(message)
        except messages.Rejected as rejected:
            reply = rejected.as_error()
        if reply is not None:
            try:
                self.outbox.reply(reply)
            except ReplyOverflow as overflow:
                return Close(protocol.CLOSE_POLICY, f"client does not read its replies ({overflow})")
        return event

    def _answer(self, message: dict[str, Any]) -> tuple[dict[str, Any] | None, Event | None]:
        kind = message["type"]
        if kind == "ping":
            return protocol.pong(message["ts"], now_ms()), None
        if kind == "hello":
            self.client_name = message.get("client", "")
            self.viewport = message.get("viewport")
            return None, None
        if kind == "resync":
            self.outbox.resync()
            return None, None
        if kind == "state_request":
            return None, StateRequested()
        assert self.info.role == CONTROLLER  # messages.check refused the others
        if kind == "resize":
            return None, Resize(message["width"], message["height"])
        if kind == "command":
            return None, Command(message["command"])
        return None, Input(message["data"])

    def refuse(self, code: str, reason: str) -> Close | None:
        """Answer the last message with an ``error`` (valid, but the stream cannot do it).

        Returns a :class:`Close` when the client has left too many replies unread.
        """
        try:
            self.outbox.reply(protocol.error(code, reason))
        except ReplyOverflow as overflow:
            return Close(protocol.CLOSE_POLICY, f"client does not read its replies ({overflow})")
        return None

    def state(self, state: dict[str, Any]) -> None:
        """Answer a :class:`StateRequested` with the hub's state snapshot."""
        try:
            self.outbox.reply(protocol.state(state))
        except ReplyOverflow:
            self.outbox.broadcast_state(state)  # the newest state replaces a pending one

    def clear(self, notice: Wire) -> None:
        """The stream was blanked: send ``notice`` (a ``clear``), then a keyframe."""
        self.outbox.cleared(notice)

    def end(self, notice: Wire) -> None:
        """The source ended: send ``notice`` (an ``end``) after the final frame; then the server closes with 1000."""
        self.outbox.end(notice)

    @property
    def ended(self) -> bool:
        """Whether the ``end`` notice has gone out (the connection is to be closed with 1000)."""
        return self.outbox.ended

    def restart(self) -> None:
        """The stream's numbering restarted (a new producer): the next frame is a keyframe."""
        self.outbox.shown = None
        self.outbox.keyframe_due = True

    def pending(self, latest: Frame | None) -> bool:
        """Whether :meth:`next` has something to send."""
        return self.outbox.pending(latest)

    def next(self, latest: Frame | None, cache: EncodeCache) -> Wire | None:
        """The bytes this client gets next (replies first, then the newest frame), or None."""
        return self.outbox.next(latest, cache)


class Session:
    """One connected client as the I/O side holds it: its connection, its :class:`SessionProtocol`, its drain waiter.

    It does no I/O itself: :class:`~glyphcast_websocket.fanout.FanOut` writes through it.
    """

    __slots__ = ("connection", "protocol", "outbox", "drainer", "bytes_sent", "stalls", "closing")

    def __init__(self, connection: Connection, protocol: SessionProtocol) -> None:
        self.connection = connection
        self.protocol = protocol
        #: The protocol's outbox, held directly: the hot path reads it per client and frame.
        self.outbox: Outbox = protocol.outbox
        self.drainer: asyncio.Task[None] | None = None
        self.bytes_sent = 0
        #: Times the socket went over its write limit and a drain waiter was started.
        self.stalls = 0
        self.closing = False

    @property
    def info(self) -> ClientInfo:
        return self.protocol.info

    @property
    def codec(self) -> Codec:
        return self.protocol.codec
