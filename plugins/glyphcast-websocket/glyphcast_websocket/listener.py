"""The hub's listening sockets and its own accept loop, so it can stop accepting without dropping anyone.

asyncio's own server accepts whenever the socket is readable, and has no
public way to pause; websockets' ``serve()`` builds on it. :class:`Listener`
is an :class:`asyncio.AbstractServer` of our own that websockets' ``serve()``
uses in its place: :meth:`ListeningLoop.listen_with` routes the one
``loop.create_server(protocol_factory, host, port, **kwargs)`` call that
``serve()`` makes to :meth:`Listener.create_server`. From there on websockets
runs as usual (its handshake, its handler, its ``Server.close()``); what
changes is how connections come in, decided by :class:`~.intake.Handshakes`:

- the listen backlog is large (``backlog``, capped by the kernel's
  ``net.core.somaxconn``): a burst waits there while the hub is busy;
- at most ``limit`` connections are in their handshake (TLS counted from the
  TCP accept): at the limit the accept loop waits until one ends;
- per address, at most ``per_address`` in handshake; further ones wait,
  accepted but untouched, and start in turn;
- past its deadline a handshake (or a wait) is dropped; so are the newest
  waiting connections of the heaviest address when there are too many, or
  when the process runs out of descriptors.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from glyphcast.clock import MONOTONIC, Clock

from glyphcast_websocket.intake import Handshakes, State, Ticket
from glyphcast_websocket.ratelog import RateLimitedLog

log = logging.getLogger("glyphcast.websocket")

#: The listen backlog asked for (the kernel caps it at net.core.somaxconn, 4096 on current Linux).
BACKLOG = 4096
#: How often deadlines are checked (s); a handshake is dropped at most this long after its deadline.
SWEEP_INTERVAL = 0.25
#: accept() errors that mean "out of descriptors or memory": shed waiting connections, or wait a little.
_RESOURCE_ERRORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
#: Waiting connections closed per accept() that ran out of descriptors.
SHED_BATCH = 16
#: Connections accepted in a row before the loop lets other work run (asyncio's own server takes up to 100).
ACCEPT_BATCH = 32

ProtocolFactory = Callable[[], asyncio.BaseProtocol]


@dataclass(slots=True)
class _Io:
    """What the listener keeps for one ticket: the accepted socket, then its opening task and protocol."""

    sock: socket.socket
    task: asyncio.Task[None] | None = None
    protocol: asyncio.BaseProtocol | None = None


class Listener(asyncio.AbstractServer):
    """Listening sockets, an accept loop per socket, and the connections in their handshake.

    ``on_protocol(protocol, ticket)`` is called as each connection's protocol
    is made (before TLS): the protocol calls :meth:`settle` with its ticket when
    its handshake ends or its connection is lost. ``ratelog`` takes the
    listener's log lines; ``dropped(reason)`` counts each dropped connection;
    ``clock`` says how old a handshake is.
    """

    def __init__(
        self,
        handshakes: Handshakes,
        ratelog: RateLimitedLog,
        *,
        on_protocol: Callable[[asyncio.BaseProtocol, Ticket], None] = lambda protocol, ticket: None,
        dropped: Callable[[str], None] = lambda reason: None,
        clock: Clock = MONOTONIC,
    ) -> None:
        self.handshakes = handshakes
        self.ratelog = ratelog
        self._on_protocol = on_protocol
        self._dropped = dropped
        self._clock = clock
        self._factory: ProtocolFactory | None = None
        self._ssl: ssl.SSLContext | None = None
        self._ssl_handshake_timeout: float | None = None
        self._ssl_shutdown_timeout: float | None = None
        self._sockets: list[socket.socket] = []
        self._accepting: list[asyncio.Task[None]] = []
        self._watched: set[int] = set()  # listening descriptors with a reader on the loop
        self._room = asyncio.Event()  # set while below the in-handshake limit
        self._room.set()
        self._serving = False
        self._sweeper: asyncio.TimerHandle | None = None
        self._closed = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- what websockets' serve() calls, through ListeningLoop -------------------
    async def create_server(
        self,
        protocol_factory: ProtocolFactory,
        host: str | None = None,
        port: int | None = None,
        *,
        ssl: ssl.SSLContext | None = None,
        ssl_handshake_timeout: float | None = None,
        ssl_shutdown_timeout: float | None = None,
        backlog: int = BACKLOG,
        reuse_port: bool | None = None,
        start_serving: bool = True,
        **unsupported: Any,
    ) -> Listener:
        """Bind every address ``host`` names (as asyncio's ``create_server`` does) and start accepting."""
        if unsupported:
            raise TypeError(f"Listener.create_server does not support {', '.join(sorted(unsupported))}")
        self._loop = asyncio.get_running_loop()
        self._factory = protocol_factory
        self._ssl = ssl
        self._ssl_handshake_timeout = ssl_handshake_timeout if ssl is not None else None
        self._ssl_shutdown_timeout = ssl_shutdown_timeout if ssl is not None else None
        self._sockets = bind(host, port or 0, backlog=backlog, reuse_port=bool(reuse_port))
        if start_serving:
            await self.start_serving()
        return self

    # -- asyncio.AbstractServer ----------------------------------------------------
    def get_loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None
        return self._loop

    def is_serving(self) -> bool:
        return self._serving

    async def start_serving(self) -> None:
        if self._serving or not self._sockets:
            return
        self._serving = True
        loop = self.get_loop()
        self._accepting = [loop.create_task(self._accept(sock)) for sock in self._sockets]
        self._sweeper = loop.call_later(SWEEP_INTERVAL, self._sweep)

    async def serve_forever(self) -> None:
        await self.start_serving()
        await self._closed.wait()

    def close(self) -> None:
        """Stop accepting, close the listening sockets and drop every connection still in its handshake.

        Connections that finished their handshake are websockets' to close (its ``Server.close()``).
        """
        if self._closed.is_set():
            return
        self._serving = False
        for task in self._accepting:
            task.cancel()
        for fd in self._watched:
            self.get_loop().remove_reader(fd)
        self._watched.clear()
        for sock in self._sockets:
            sock.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
        for ticket in self.handshakes.close():
            self._drop(ticket, None)
        self._closed.set()

    async def wait_closed(self) -> None:
        await self._closed.wait()
        if self._accepting:
            await asyncio.gather(*self._accepting, return_exceptions=True)

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return tuple(self._sockets)

    # -- the connections' side -------------------------------------------------------
    def settle(self, ticket: Ticket) -> None:
        """``ticket``'s handshake ended or its connection is gone; start whoever waited for its place."""
        for started in self.handshakes.settle(ticket, self._clock.now()):
            self._start(started)
        if not self.handshakes.full:
            self._room.set()

    # -- internals ---------------------------------------------------------------------
    async def _accept(self, listening: socket.socket) -> None:
        """Take connections off ``listening`` while below the limit: a non-blocking ``accept()`` in a loop
        (a flood is drained at the kernel's pace, not one event-loop turn per connection), waiting for
        readability only when the backlog is empty, and letting handshakes run every few accepts."""
        taken = 0
        while True:
            if self.handshakes.full:
                self._room.clear()
                await self._room.wait()
            try:
                sock, address = listening.accept()
            except (BlockingIOError, InterruptedError):
                await self._readable(listening)
                continue
            except OSError as error:
                if error.errno in _RESOURCE_ERRORS:
                    await self._out_of_resources(error)
                elif isinstance(error, ConnectionAbortedError) or error.errno in (
                    errno.ECONNABORTED,
                    errno.EPROTO,
                ):
                    continue  # gone before we took it
                elif listening.fileno() < 0:
                    return  # closed
                else:
                    self.ratelog.warning(("accept", error.errno), "accept() failed: %s", error)
                    await asyncio.sleep(SWEEP_INTERVAL)
                continue
            host = address[0] if isinstance(address, tuple) and address else ""
            ticket, shed = self.handshakes.arrive(str(host), self._clock.now())
            ticket.io = _Io(sock)
            for victim in shed:
                self._drop(victim, "budget")
            if ticket.state is State.ACTIVE:
                self._start(ticket)
            elif ticket.state is State.DROPPED:
                self._drop(ticket, "budget")
            taken += 1
            if taken % ACCEPT_BATCH == 0:
                await asyncio.sleep(0)  # the connections in their handshake get a turn

    async def _readable(self, listening: socket.socket) -> None:
        loop = self.get_loop()
        ready: asyncio.Future[None] = loop.create_future()
        fd = listening.fileno()

        def readable() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, readable)
        self._watched.add(fd)
        try:
            await ready
        finally:
            if fd in self._watched:
                self._watched.discard(fd)
                loop.remove_reader(fd)

    async def _out_of_resources(self, error: OSError) -> None:
        shed = self.handshakes.shed(SHED_BATCH)
        for victim in shed:
            self._drop(victim, "descriptors")
        self.ratelog.warning(
            "accept-resources",
            "accept() failed (%s); %s waiting connections closed to make room",
            error.strerror or error,
            len(shed),
        )
        if not shed:  # nothing of ours to give back: wait for handshakes and clients to end
            await asyncio.sleep(SWEEP_INTERVAL)

    def _start(self, ticket: Ticket) -> None:
        io = ticket.io
        assert isinstance(io, _Io)
        io.task = self.get_loop().create_task(self._open(ticket, io))

    async def _open(self, ticket: Ticket, io: _Io) -> None:
        assert self._factory is not None
        factory = self._factory

        def make() -> asyncio.BaseProtocol:
            protocol = factory()
            io.protocol = protocol
            self._on_protocol(protocol, ticket)
            return protocol

        try:
            await self.get_loop().connect_accepted_socket(
                make,
                io.sock,
                ssl=self._ssl,
                ssl_handshake_timeout=self._ssl_handshake_timeout,
                ssl_shutdown_timeout=self._ssl_shutdown_timeout,
            )
        except asyncio.CancelledError:
            self.settle(ticket)  # dropped (deadline, closing): the transport is closed already
        except (OSError, TimeoutError, ssl.SSLError) as error:  # the TLS handshake failed or timed out
            log.debug("a TLS handshake failed: %s", error)
            self._dropped("tls")
            self.settle(ticket)

    def _drop(self, ticket: Ticket, reason: str | None) -> None:
        """Close a dropped ticket's connection, whatever stage it is at."""
        io = ticket.io
        if not isinstance(io, _Io):
            return
        if reason is not None:
            self._dropped(reason)
        transport = getattr(io.protocol, "transport", None)
        if transport is not None:
            transport.abort()  # its protocol settles when the connection is lost
        elif io.task is not None and not io.task.done():
            io.task.cancel()  # TLS still in progress: asyncio closes the transport
        elif io.task is None:
            io.sock.close()  # it never started

    def _sweep(self) -> None:
        late, started = self.handshakes.overdue(self._clock.now())
        for ticket in late:
            self._drop(ticket, "timeout")
        for ticket in started:
            self._start(ticket)
        if late:
            self.ratelog.info(
                "handshake-timeout", "%d connections dropped: no complete handshake in time", len(late)
            )
        if not self.handshakes.full:
            self._room.set()
        if self._serving:
            self._sweeper = self.get_loop().call_later(SWEEP_INTERVAL, self._sweep)


def bind(
    host: str | None, port: int, *, backlog: int = BACKLOG, reuse_port: bool = False
) -> list[socket.socket]:
    """Listening sockets for every address ``host`` names (all interfaces for None or ""), as asyncio binds them.

    With port 0 the first socket picks a free port and the others take the same one.
    """
    infos = socket.getaddrinfo(host or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    seen: set[tuple[int, Any]] = set()
    sockets: list[socket.socket] = []
    try:
        for family, _, _, _, address in infos:
            if (family, address) in seen:
                continue
            seen.add((family, address))
            if sockets and port == 0:
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            # SO_REUSEADDR, and IPV6_V6ONLY for IPv6 (each address family its own socket), as asyncio does
            sock = socket.create_server(address, family=family, backlog=backlog, reuse_port=reuse_port)
            sock.setblocking(False)
            sockets.append(sock)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class ListeningLoop(asyncio.AbstractEventLoop):
    """An event loop whose ``create_server`` can be routed to a :class:`Listener` (mixed into the hub's loop)."""

    _listen_with: Callable[..., Awaitable[asyncio.AbstractServer]] | None = None

    @contextlib.contextmanager
    def listen_with(self, listener: Listener) -> Iterator[None]:
        """While this is open, ``create_server`` calls (websockets' ``serve()``) go to ``listener``."""
        self._listen_with = listener.create_server
        try:
            yield
        finally:
            self._listen_with = None

    async def create_server(  # type: ignore[override]
        self, protocol_factory: ProtocolFactory, host: Any = None, port: Any = None, **kwargs: Any
    ) -> asyncio.AbstractServer:
        listen = self._listen_with
        if listen is None:
            server: asyncio.AbstractServer = await super().create_server(
                protocol_factory, host, port, **kwargs
            )
            return server
        return await listen(protocol_factory, host, port, **kwargs)
