"""The hub: one WebSocket server per (host, port), on a thread of its own; it serves its streams' clients.

Every decision is made elsewhere, without sockets: who gets in and which codec
(:mod:`.security`, :mod:`.handshake`), what a page request gets
(:mod:`.pages`), what a client message means and what a session is sent next
(:mod:`.session`, :mod:`.delivery`). :class:`Hub` starts and stops the
server and runs each connection from its handshake to its close; the HTTP
requests before that are the :class:`~.router.Router`'s, the writes
:mod:`.fanout`'s, the thread :mod:`.loopthread`'s. One port carries several
named streams, each a :class:`~.named_stream.NamedStream` with its own frames, clients and
tokens; a request's path says which.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import itertools
import logging
import ssl
import time
from typing import Any

from glyphcast import ClientInfo, DisplayError, protocol
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

from glyphcast_websocket import metrics
from glyphcast_websocket.assets import NOT_BUILT_HINT, Assets
from glyphcast_websocket.credentials import redact_library_logs
from glyphcast_websocket.decisions import Admission
from glyphcast_websocket.intake import WAITING, Handshakes
from glyphcast_websocket.listener import BACKLOG, Listener
from glyphcast_websocket.loopthread import STOP_TIMEOUT, LoopThread
from glyphcast_websocket.named_stream import NamedStream
from glyphcast_websocket.pages import SERVER_NAME
from glyphcast_websocket.ratelog import LibraryLog, RateLimitedLog
from glyphcast_websocket.router import Router
from glyphcast_websocket.security import VIEWER
from glyphcast_websocket.session import (
    Close,
    Command,
    Input,
    Resize,
    Session,
    SessionProtocol,
    StateRequested,
)
from glyphcast_websocket.settings import Settings
from glyphcast_websocket.tls import tls_context
from glyphcast_websocket.wsio import Connection, attach, connection_class, raise_descriptor_limit

log = logging.getLogger("glyphcast.websocket")


def shared_deflate() -> ServerPerMessageDeflateFactory:
    """permessage-deflate (RFC 7692) as the hub speaks it: no context takeover either way.

    ``server_no_context_takeover`` makes each server message compressible once
    for every session; ``client_no_context_takeover`` keeps no decompression
    window per connection between client messages (bounded memory). Both may be
    imposed by the server whatever the client offered. A client message's
    decompressed size counts against ``max_size`` (a deflate bomb is closed with 1009).
    """
    return ServerPerMessageDeflateFactory(server_no_context_takeover=True, client_no_context_takeover=True)


_client_ids = itertools.count(1)

#: At shutdown after an end, how long clients get to read the final frame and `end` before 1001.
ENDING_TIMEOUT = 1.0


class Hub:
    """One server on one (host, port) and the streams (rooms) it carries."""

    def __init__(self, host: str, port: int, settings: Settings) -> None:
        self.host = host
        self.requested_port = port
        self.port = port
        #: The server's own settings (TLS, timeouts, write limit): every stream on this port shares them.
        self.settings = settings
        #: Rules for requests outside any stream (the list of streams, unknown paths).
        self.policy = settings.policy(host, port)
        self.ratelog = RateLimitedLog(log)
        self.assets = Assets()
        self.default_subprotocol = protocol.DEFAULT_SUBPROTOCOL
        self.rooms: dict[str, NamedStream] = {}
        #: ``/metrics``: this hub's own registry, read on the loop when scraped.
        self.metrics = metrics.HubMetrics(lambda: self.rooms.values())
        self.started_at = time.monotonic()
        #: Connections between their TCP accept and the end of their handshake (see :mod:`.intake`).
        self.handshakes = Handshakes(
            settings.max_handshakes, settings.max_handshakes_per_address, WAITING, settings.open_timeout
        )
        self.listener: Listener | None = None
        #: The answers to HTTP requests on this port, up to the WebSocket handshake.
        self.router = Router(self)
        self.thread = LoopThread(f"glyphcast-hub-{host}:{port}", self._failed)
        self._bound = False
        self._server: Server | None = None
        self._tls: ssl.SSLContext | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.settings.certfile else 'http'}://{host}:{self.port}/"

    @property
    def sessions(self) -> tuple[Session, ...]:
        """Every client of every stream on this port."""
        return tuple(s for room in self.rooms.values() for s in room.sessions)

    # -- streams (engine thread; the registry holds its lock) ----------------------
    def room(self, name: str, settings: Settings) -> NamedStream:
        """Stream ``name`` on this port, made with ``settings`` if it is new."""
        room = self.rooms.get(name)
        if room is None:
            policy = settings.policy(self.host, self.port)
            if self._bound:
                policy = policy.bound(self.port)
            for warning in policy.warnings:
                log.warning("glyphcast websocket on %s:%s: %s", self.host, self.requested_port, warning)
            room = NamedStream(name, settings, policy, self.thread)
            self.rooms = {**self.rooms, name: room}  # replaced whole: the loop reads it without a lock
        return room

    def remove(self, room: NamedStream) -> None:
        """A stream's last display left: its clients are closed (1000 after an end, else 1001)."""
        self.rooms = {name: r for name, r in self.rooms.items() if r is not room}
        room.close()
        self.thread.call(self._close_room, room)

    def _close_room(self, room: NamedStream) -> None:
        code, reason = (
            (protocol.CLOSE_NORMAL, "stream ended")
            if room.ended
            else (protocol.CLOSE_GOING_AWAY, "stream closed")
        )
        for s in room.sessions:
            room.fanout.close(s, code, reason)

    def _failed(self, error: BaseException) -> None:
        for room in self.rooms.values():
            room.listeners.failed(error)

    # -- lifecycle (engine thread) --------------------------------------------
    def start(self) -> None:
        """Bind and serve on a new thread; raise DisplayError (one line) if the port is taken."""
        self._tls = tls_context(self.settings.certfile, self.settings.keyfile)
        redact_library_logs(logging.getLogger("websockets.server"))  # its DEBUG log prints every header
        raise_descriptor_limit()
        try:
            self.port = self.thread.start(self._serve)
        except OSError as error:
            reason = "address already in use" if error.errno == errno.EADDRINUSE else str(error)
            raise DisplayError(
                f"cannot listen on {self.host}:{self.requested_port}: {reason} "
                f"(choose another port, e.g. --display websocket:port={self.requested_port + 1})"
            ) from None
        if not self.assets.built:
            log.warning("glyphcast websocket on %s: %s", self.url, NOT_BUILT_HINT)

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """asyncio's own errors on the hub's loop (accept() out of descriptors, a transport's failure):
        one line per kind per interval, never a traceback per connection."""
        error = context.get("exception")
        detail = f": {error}" if error is not None else ""
        self.ratelog.warning(
            ("loop", context.get("message")), "%s%s", context.get("message", "event loop error"), detail
        )

    def _flush_log(self) -> None:
        """Every interval: the counts of log lines a burst suppressed, once the burst is over."""
        self.ratelog.flush()
        loop = self.thread.loop
        if loop is not None and self._server is not None and self._server.is_serving():
            loop.call_later(self.ratelog.interval, self._flush_log)

    async def _serve(self, ready: concurrent.futures.Future[int], stopped: asyncio.Event) -> None:
        loop = self.thread.loop
        assert loop is not None
        loop.set_exception_handler(self._loop_error)
        s = self.settings
        self.listener = listener = Listener(
            self.handshakes,
            self.ratelog,
            on_protocol=attach,
            dropped=lambda reason: self.metrics.refused("", reason),
        )
        with loop.listen_with(listener):
            self._server = await serve(
                self._handle,
                self.host,
                self.requested_port,
                ssl=self._tls,
                # The TLS handshake is part of the opening handshake's time, counted from the TCP accept.
                ssl_handshake_timeout=s.open_timeout if self._tls else None,
                backlog=BACKLOG,
                create_connection=connection_class(listener, self.router.bad_request),
                process_request=self.router.process_request,
                process_response=self.router.process_response,
                select_subprotocol=self.router.select_subprotocol,
                # Per-connection deflate would defeat encode-once and frame-once: the hub compresses each
                # message once for everyone (Wire.deflated), so it asks for no context takeover both ways.
                compression=None,
                extensions=[shared_deflate()] if s.compression else None,
                max_size=protocol.MAX_CLIENT_MESSAGE,
                write_limit=s.write_limit,
                open_timeout=s.open_timeout,
                ping_interval=s.ping_interval,
                ping_timeout=s.ping_timeout,
                close_timeout=1.0,
                server_header=SERVER_NAME,
                logger=LibraryLog(logging.getLogger("websockets.server"), self.ratelog, self._library_error),
                reuse_port=s.reuse_port or None,  # SO_REUSEPORT: edge processes of one stream share the port
            )
        loop.call_later(self.ratelog.interval, self._flush_log)
        sockets = self._server.sockets
        port = int(sockets[0].getsockname()[1]) if sockets else self.requested_port
        # Served origins carry the real port (same throttles).
        self.policy = self.policy.bound(port)
        for room in self.rooms.values():
            room.policy = room.policy.bound(port)
        self._bound = True
        ready.set_result(port)
        await stopped.wait()
        deadline = loop.time() + STOP_TIMEOUT - 0.5  # the thread is joined within STOP_TIMEOUT
        # Clients of an ended stream read the final frame and `end` (closed with 1000).
        for room in self.rooms.values():
            if room.fanout.ended is not None:
                await room.fanout.finish(max(0.0, min(ENDING_TIMEOUT, deadline - loop.time())))
        listener.close()  # connections still in their handshake: nothing to say to them; they end now
        self._server.close(close_connections=True)  # closes every client with 1001
        try:
            await asyncio.wait_for(self._server.wait_closed(), max(0.1, deadline - loop.time()))
        except TimeoutError:
            log.warning("clients of %s did not close in time; dropping them", self.url)

    def stop(self) -> None:
        """Close every client with 1001, stop serving and join the thread (within 2 s)."""
        for room in self.rooms.values():
            room.close()
        self.thread.stop()

    def _library_error(self, cause: str) -> None:
        """websockets logged an error for one connection (written rate-limited by :class:`LibraryLog`)."""
        self.metrics.refused("", "internal-error")

    # -- one connection ---------------------------------------------------------
    async def _handle(self, connection: ServerConnection) -> None:
        assert isinstance(connection, Connection)
        connection.opened()
        request = connection.request
        room = connection.room
        assert (
            request is not None
            and isinstance(connection.admission, Admission)
            and isinstance(room, NamedStream)
        )
        role = connection.admission.role or VIEWER
        self.metrics.handshake(room.name, time.monotonic() - connection.accepted_at)
        remote = connection.remote_address
        remote_host = str(remote[0]) if remote else ""
        forwarded = connection.admission.client if connection.admission.client != remote_host else ""
        if len(room.sessions) >= room.policy.capacity(
            role
        ):  # admitted at once with others: the last ones wait
            self.metrics.refused(room.name, "full")
            await connection.close(
                protocol.CLOSE_TRY_AGAIN_LATER,
                f"server full ({room.settings.max_clients} clients); try again later",
            )
            return
        codec = room.codecs.by_subprotocol.get(connection.subprotocol or self.default_subprotocol)
        if codec is None or room not in self.rooms.values():  # its displays left during the handshake
            if room.ended:  # because the stream ended (set on the engine's thread): nothing to reconnect to
                await connection.close(protocol.CLOSE_NORMAL, "stream ended")
            else:
                await connection.close(protocol.CLOSE_TRY_AGAIN_LATER, "codec no longer enabled; reconnect")
            return
        info = ClientInfo(
            id=next(_client_ids),
            remote=forwarded or (f"{remote_host}:{remote[1]}" if remote else ""),
            codec=codec.subprotocol,
            role=role,
            display=room.listeners.display_name(codec.subprotocol),
            user_agent=request.headers.get("User-Agent", ""),
            stream=room.name,
        )
        s = Session(connection, SessionProtocol(info, codec, room.limits))
        latest = room.latest
        width, height = (latest.width, latest.height) if latest else room.listeners.dimensions()
        s.protocol.hello(
            server=SERVER_NAME,
            width=width,
            height=height,
            codecs=room.codecs.by_subprotocol,
            stream=room.name,
        )
        log.info(
            "client %s connected to stream %s from %s (%s, %s)",
            info.id,
            room.name,
            info.remote,
            info.codec,
            role,
        )
        try:
            room.join(s)
            room.listeners.connected(info)
            async for data in connection:
                self._receive(room, s, data)
        except ConnectionClosed as closed:
            log.debug("client %s closed: %s", info.id, closed)
        finally:
            room.leave(s)
            log.info("client %s disconnected", info.id)
            room.listeners.disconnected(info)

    def _receive(self, room: NamedStream, s: Session, data: str | bytes) -> None:
        event = s.protocol.receive(data)
        info = s.info
        if isinstance(event, Close):
            room.fanout.close(s, event.code, event.reason)
            return
        if isinstance(event, StateRequested):
            s.protocol.state(room.listeners.state())
        elif isinstance(event, Resize):
            refusal = room.listeners.resize(event.width, event.height, info)
            closing = None if refusal is None else s.protocol.refuse(protocol.UNSUPPORTED, refusal)
            if closing is not None:
                room.fanout.close(s, closing.code, closing.reason)
                return
        elif isinstance(event, Command):
            room.listeners.command(event.command, info)
        elif isinstance(event, Input):
            room.listeners.input(event.data, info)
        if s.drainer is None:
            room.fanout.pump(s)
