"""The one place the hub reaches into python-websockets' internals, and why.

The hub writes the same pre-framed bytes to every session (see
:class:`~glyphcast_websocket.delivery.Wire`), which ``connection.send`` cannot
do: it frames (and would compress) per connection. So the hub needs five
things websockets does not offer as public API, all on
``websockets.asyncio.connection.Connection``:

- ``transport.write(bytes)``: write an already-framed server message. Server
  frames are unmasked, and the one extension the hub negotiates,
  permessage-deflate, is asked for with no context takeover, so the
  compressed bytes (:meth:`.delivery.Wire.deflated`) are what ``send`` would have written.
- ``protocol.extensions``: whether this connection negotiated permessage-deflate,
  and with which window (:attr:`Connection.deflate_bits`).
- ``paused``: set by asyncio flow control (``pause_writing``) while the
  socket's write buffer is above ``write_limit``; the hub stops writing then.
- ``protocol.state``: the hub must not write once the closing handshake began
  (and reads no request bytes once the connection is open, below).
- ``drain()``: wait until flow control resumes writing.

How connections come in relies on two more behaviours of websockets' asyncio
server, neither of them a private name:

- ``serve()`` makes its listening server with ``loop.create_server(protocol_factory,
  host, port, **kwargs)`` and then uses only what :class:`asyncio.AbstractServer`
  offers, plus ``sockets``. The hub's :class:`~.listener.Listener` takes that call
  (:meth:`~.listener.ListeningLoop.listen_with`): its own accept loop pauses at
  the in-handshake limit instead of dropping anyone (:mod:`.intake`).
- ``Connection.data_received`` is where the request's bytes enter: :class:`Connection`
  hands websockets exactly one request head (:mod:`.request_head`) and answers a
  malformed, oversized or body-carrying request itself, so every response
  carries the hub's headers and a pipelined request is never parsed as frames.

:class:`Connection` also bounds what websockets leaves open: the library
answers every ping with a pong written straight to the transport, so a client
that floods pings and never reads would grow the write buffer without limit.

``tests/websocket/test_wsio.py`` fails if a websockets upgrade breaks any of this.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from glyphcast import Frame
from websockets.asyncio.server import ServerConnection
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.http11 import Response
from websockets.protocol import State

from glyphcast_websocket.delivery import EncodeCache, Wire
from glyphcast_websocket.intake import Ticket
from glyphcast_websocket.listener import Listener
from glyphcast_websocket.request_head import BadRequest, HeadReader

log = logging.getLogger("glyphcast.websocket")

#: Bytes the library may queue for a client that is not reading (pongs, close frames)
#: before the connection is dropped.
CONTROL_BACKLOG_LIMIT = 64 * 1024


class Connection(ServerConnection):
    """A server connection the hub can write shared frames to, with bounded memory.

    Made by :func:`connection_class`, which binds the hub's :class:`~.listener.Listener`
    and how the hub answers a request it will not hand to websockets.
    ``admission`` carries what the hub's request check decided (the role) from
    the handshake to the connection handler.
    """

    listener: Listener
    answer: Callable[[BadRequest], Response]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.admission: Any = None
        #: This connection's place in the listener's bookkeeping until its handshake ends.
        self.ticket: Ticket | None = None
        #: Reads the one request's head; None once it is handed to websockets (or answered here).
        self.head: HeadReader | None = HeadReader()
        #: The window (bits) of the permessage-deflate this connection negotiated; None without it.
        self.deflate_bits: int | None = None
        #: The stream (a ``NamedStream``) the request's path named, for the handshake and the handler.
        self.room: Any = None
        self.control_backlog = 0
        #: When the TCP connection was accepted (``time.monotonic()``): the handshake's time is measured from it.
        self.accepted_at = time.monotonic()
        #: :meth:`write_from` stopped at the write limit with more to send.
        self.stalled = False

    # -- bounds ---------------------------------------------------------------
    def connection_lost(self, exc: Exception | None) -> None:
        self.settle()
        super().connection_lost(exc)

    def settle(self) -> None:
        """This connection's handshake is over (done, answered or gone): its place goes to the next one."""
        ticket, self.ticket = self.ticket, None
        if ticket is not None:
            self.listener.settle(ticket)

    def opened(self) -> None:
        """The handshake completed: this connection no longer counts against the handshake limits,
        and what it negotiated is known."""
        self.settle()
        for extension in self.protocol.extensions:
            if isinstance(extension, PerMessageDeflate):
                self.deflate_bits = extension.local_max_window_bits

    def data_received(self, data: bytes) -> None:
        if self.protocol.state is State.CONNECTING:
            head = self.head
            if head is None:
                return  # after the one request and before its answer: a pipelined request, a stray CRLF
            try:
                request = head.feed(data)
            except BadRequest as error:
                self.head = None
                self.transport.write(self.answer(error).serialize())
                self.transport.close()
                return
            if request is None:
                return
            self.head = None
            data = request.raw  # websockets reads exactly the head, nothing after it
        before = self.transport.get_write_buffer_size()
        super().data_received(data)  # may write pongs (or a close frame) to the transport
        if self.paused:  # the client is not reading: count what the library queued for it
            self.control_backlog += max(0, self.transport.get_write_buffer_size() - before)
            if self.control_backlog > CONTROL_BACKLOG_LIMIT:
                log.debug("a client floods control frames without reading; dropping it")
                self.transport.abort()

    def resume_writing(self) -> None:
        super().resume_writing()
        self.control_backlog = 0

    # -- what the hub uses to write -------------------------------------------
    @property
    def open(self) -> bool:
        """Open, and not closing: writing to it is allowed (a write to a lost transport only logs)."""
        return self.protocol.state is State.OPEN and not self.transport.is_closing()

    def write_from(
        self,
        next_wire: Callable[[Frame | None, EncodeCache], Wire | None],
        latest: Frame | None,
        cache: EncodeCache,
    ) -> int:
        """THE hot loop: write what ``next_wire(latest, cache)`` gives while this socket takes it; the bytes written.

        Stops when ``next_wire`` has nothing more, or above the write limit:
        then :attr:`stalled` is set (the caller clears it when it starts
        waiting) and ``drain()`` waits for room. Writes nothing once closing. Every check reads the
        connection's own fields: this runs once per client and frame, so it
        touches as few objects as it can.
        """
        if self.protocol.state is not State.OPEN or self.transport.is_closing():
            return 0
        write = self.transport.write
        deflate_bits = self.deflate_bits
        written = 0
        while not self.paused:
            wire = next_wire(latest, cache)
            if wire is None:
                return written
            framed = wire.framed if deflate_bits is None else wire.deflated(deflate_bits)
            write(framed)
            written += len(framed)
        self.stalled = True
        return written

    @property
    def writable(self) -> bool:
        """Open and below its write limit: a write now goes out without queueing up."""
        return not self.paused and self.open

    @property
    def buffered(self) -> int:
        """Bytes waiting in the socket's write buffer."""
        return int(self.transport.get_write_buffer_size())


def raise_descriptor_limit() -> tuple[int, int]:
    """Let this process use every file descriptor its hard limit allows (Go's runtime does the same).

    The soft limit is often 1024 while the hard one is far higher; a server
    that stays at the soft limit runs out of descriptors under a flood of idle
    connections, and asyncio then stops accepting for a second at a time.
    Returns the (old, new) soft limit.
    """
    try:
        import resource
    except ImportError:  # not on this platform (Windows)
        return (0, 0)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError) as error:
            log.debug("could not raise the file descriptor limit from %s to %s: %s", soft, wanted, error)
            return (soft, soft)
        return (soft, wanted)
    return (soft, soft)


def connection_class(listener: Listener, answer: Callable[[BadRequest], Response]) -> type[Connection]:
    """The ``create_connection`` class for one hub's ``serve()``: its connections settle with ``listener``,
    and a request the hub answers itself (:class:`~.request_head.BadRequest`) gets ``answer(error)``."""
    return type("HubConnection", (Connection,), {"listener": listener, "answer": staticmethod(answer)})


def attach(protocol: asyncio.BaseProtocol, ticket: Ticket) -> None:
    """The listener made ``protocol`` for the connection behind ``ticket`` (``Listener(on_protocol=attach)``)."""
    if isinstance(protocol, Connection):
        protocol.ticket = ticket
        protocol.accepted_at = ticket.accepted_at
