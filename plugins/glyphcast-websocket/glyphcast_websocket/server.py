"""The hub's server: one per (host, port), on a thread of its own; it accepts, writes and drains.

Every decision is made elsewhere, without sockets: which codec a client gets
(:mod:`.handshake`), what a page request gets (:mod:`.pages`), what a client
message means and what a session is sent next (:mod:`.session`,
:mod:`.delivery`). :class:`Hub` moves bytes between those and the sockets:
the writes themselves are :mod:`.fanout`'s, the thread :mod:`.loopthread`'s.

Frames reach the loop through one :class:`~glyphcast.handoff.LatestSlot`: a
frame shown while the loop is busy replaces the one waiting, so the engine
pays one thread hop per frame per hub however many displays share the hub.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import itertools
import logging
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from glyphcast import ClientInfo, Codec, DisplayError, Frame, __version__, protocol
from glyphcast.handoff import LatestSlot
from glyphcast.protocol import codec_subprotocols
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed, NegotiationError
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from glyphcast_websocket import pages
from glyphcast_websocket.assets import NOT_BUILT_HINT, Assets
from glyphcast_websocket.credentials import redact_library_logs
from glyphcast_websocket.delivery import EncodeCache
from glyphcast_websocket.events import HubListener, Listeners
from glyphcast_websocket.fanout import FanOut, Session
from glyphcast_websocket.handshake import EnabledCodecs, NoCodec, choose_subprotocol
from glyphcast_websocket.loopthread import STOP_TIMEOUT, LoopThread
from glyphcast_websocket.ratelog import RateLimitedLog
from glyphcast_websocket.security import VIEWER, Admission, Handshake, Refusal
from glyphcast_websocket.session import Close, Command, Input, Limits, Resize, SessionProtocol, StateRequested
from glyphcast_websocket.settings import Settings
from glyphcast_websocket.tls import tls_context
from glyphcast_websocket.wsio import Connection, Handshakes, connection_class, raise_descriptor_limit

log = logging.getLogger("glyphcast.websocket")

SERVER_NAME = f"glyphcast/{__version__}"

_client_ids = itertools.count(1)

#: At shutdown after an end, how long clients get to read the final frame and `end` before 1001.
ENDING_TIMEOUT = 1.0


class Cleared:
    """The engine blanked the screen: handed to the loop in order with the frames."""

    __slots__ = ()


class Ended:
    """The source ended after ``final`` (the newest frame handed over, which this replaces in the slot)."""

    __slots__ = ("final", "reason")

    def __init__(self, final: Frame | None, reason: str) -> None:
        self.final = final
        self.reason = reason


class Hub:
    """One server on one (host, port): its sessions, its codecs and the newest frame."""

    def __init__(self, host: str, port: int, settings: Settings) -> None:
        self.host = host
        self.requested_port = port
        self.port = port
        self.settings = settings
        self.policy = settings.policy(host, port)
        self.ratelog = RateLimitedLog(log)
        self.assets = Assets()
        self.listeners = Listeners()
        self.codecs = EnabledCodecs()
        self.default_subprotocol = protocol.DEFAULT_SUBPROTOCOL
        self.fanout = FanOut()
        #: Frames handed to this hub (frames shown while the loop was busy are skipped, not sent).
        self.frames = 0
        self.started_at = time.monotonic()
        self.handshakes = Handshakes(settings.max_handshakes)
        self.thread = LoopThread(f"glyphcast-hub-{host}:{port}", self.listeners.failed)
        self._incoming: LatestSlot[Frame | Cleared | Ended] = LatestSlot()
        self._offered: Frame | None = None
        self._taken: Frame | Cleared | Ended | None = None
        self._ended = False
        self._limits = Limits(settings.rate, settings.burst)
        self._server: Server | None = None
        self._tls: ssl.SSLContext | None = None

    @property
    def sessions(self) -> tuple[Session, ...]:
        return self.fanout.sessions

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

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.settings.certfile else 'http'}://{host}:{self.port}/"

    # -- lifecycle (engine thread) --------------------------------------------
    def start(self) -> None:
        """Bind and serve on a new thread; raise DisplayError (one line) if the port is taken."""
        self._tls = tls_context(self.settings.certfile, self.settings.keyfile)
        redact_library_logs(logging.getLogger("websockets.server"))  # its DEBUG log prints every header
        raise_descriptor_limit()
        for warning in self.policy.warnings:
            log.warning("glyphcast websocket on %s:%s: %s", self.host, self.requested_port, warning)
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
        self.ratelog.warning(("loop", context.get("message")), "%s%s", context.get("message", "event loop error"), detail)

    async def _serve(self, ready: concurrent.futures.Future[int], stopped: asyncio.Event) -> None:
        asyncio.get_running_loop().set_exception_handler(self._loop_error)
        s = self.settings
        self._server = await serve(
            self._handle,
            self.host,
            self.requested_port,
            ssl=self._tls,
            create_connection=connection_class(self.handshakes),
            process_request=self._process_request,
            select_subprotocol=self._select_subprotocol,
            compression=None,  # per-connection deflate would defeat encode-once and frame-once
            max_size=protocol.MAX_CLIENT_MESSAGE,
            write_limit=s.write_limit,
            open_timeout=s.open_timeout,
            ping_interval=s.ping_interval,
            ping_timeout=s.ping_timeout,
            close_timeout=1.0,
            server_header=SERVER_NAME,
        )
        sockets = self._server.sockets
        port = int(sockets[0].getsockname()[1]) if sockets else self.requested_port
        self.policy = self.policy.bound(port)  # served origins carry the real port; same throttle
        ready.set_result(port)
        await stopped.wait()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STOP_TIMEOUT - 0.5  # the thread is joined within STOP_TIMEOUT
        if self.fanout.ended is not None:  # let every client read the final frame and `end` (closed with 1000)
            await self.fanout.finish(ENDING_TIMEOUT)
        self.handshakes.abort_all()  # nothing to say to them; their handshake tasks end now
        self._server.close(close_connections=True)  # closes every client with 1001
        try:
            await asyncio.wait_for(self._server.wait_closed(), max(0.1, deadline - loop.time()))
        except TimeoutError:
            log.warning("clients of %s did not close in time; dropping them", self.url)

    def stop(self) -> None:
        """Close every client with 1001, stop serving and join the thread (within 2 s)."""
        self._incoming.close()
        self.thread.stop()

    # -- from displays (any thread): O(1), hand over to the loop -------------
    def deliver(self, frame: Frame) -> None:
        """Hand ``frame`` to the loop: at most one wake-up is pending, the newest frame wins.

        Displays sharing this hub are shown the same Frame object; the first
        one hands it over and the others find it already offered.
        """
        if frame is self._offered or self._ended:
            return
        self._offered = frame
        self.frames += 1
        self._hand_over(frame)

    def clear(self) -> None:
        """Blank every client's screen, in order with the frames shown before and after it.

        A clear is handed over like a frame: a frame shown after it replaces it
        (the screen ends on that frame, as the engine left it), and it replaces
        a frame shown before it that the loop had not taken yet.
        """
        self._offered = None
        self._hand_over(Cleared())

    def end(self, reason: str) -> None:
        """The source ended: every client gets the final frame, ``end`` {seq, reason} and a close with 1000.

        Handed over like a frame, carrying the newest frame so that it is
        never lost to the slot's latest-wins. Frames shown after it are dropped.
        """
        if self._ended:
            return
        self._ended = True
        self._hand_over(Ended(self._offered, reason))

    def _hand_over(self, item: Frame | Cleared | Ended) -> None:
        if self._incoming.put(item):
            self.thread.call(self._take_incoming)

    def call(self, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(*args)`` on the hub's loop (broadcast_state, ...)."""
        self.thread.call(function, *args)

    def broadcast_state(self, state: dict[str, Any]) -> None:
        self.fanout.broadcast_state(state)

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

    # -- HTTP and handshake -----------------------------------------------------
    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Every HTTP request, upgrade or not, passes the security policy first (Host, method, Origin, token)."""
        assert isinstance(connection, Connection)
        path = urlsplit(request.path).path
        upgrade = "websocket" in request.headers.get("Upgrade", "").lower()
        ws_path = path in pages.WEBSOCKET_PATHS and (upgrade or path == "/ws")
        handshake = Handshake(
            method=getattr(request, "method", "GET"),  # websockets < 16 hands over GET requests only
            target=request.path,
            headers=tuple(request.headers.raw_items()),
            upgrade=ws_path,
        )
        remote = connection.remote_address
        connected = len(self.sessions) + self.handshakes.admitted()
        decision = self.policy.admit(handshake, str(remote[0]) if remote else "", time.monotonic(), connected)
        headers = self.policy.page_headers
        if isinstance(decision, Refusal):
            self.ratelog.warning(decision.log_key, "refused %s %s: %s", handshake.method, path, decision.reason)
            return pages.response(decision.status, decision.body, headers=(*headers, *decision.headers))
        if ws_path and upgrade:
            connection.admission = decision
            return None  # on to the WebSocket handshake
        return pages.page(path, self.assets, self.health, headers=headers, head=decision.head)

    def _select_subprotocol(self, connection: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
        # The token entry (glyphcast.token.*) is never selected, nor quoted in an error.
        codecs = codec_subprotocols(offered)
        try:
            chosen = choose_subprotocol(codecs, self.codecs.by_subprotocol, self.default_subprotocol)
        except NoCodec as error:
            raise NegotiationError(str(error)) from None
        return None if chosen is None else Subprotocol(chosen)

    def health(self) -> dict[str, Any]:
        clients: dict[str, int] = dict.fromkeys(self.codecs.by_subprotocol, 0)
        for s in self.sessions:
            clients[s.codec.subprotocol] = clients.get(s.codec.subprotocol, 0) + 1
        return {
            "status": "ok",
            "server": SERVER_NAME,
            "clients": clients,
            "clients_total": len(self.sessions),
            "frames": self.frames,
            "seq": self.latest.seq if self.latest is not None else None,
            "uptime_s": round(time.monotonic() - self.started_at, 3),
            "codecs": sorted(self.codecs.by_subprotocol),
            "viewer": self.assets.built,
        }

    # -- one connection ---------------------------------------------------------
    async def _handle(self, connection: ServerConnection) -> None:
        assert isinstance(connection, Connection)
        connection.opened()
        request = connection.request
        assert request is not None and isinstance(connection.admission, Admission)
        role = connection.admission.role or VIEWER
        remote = connection.remote_address
        remote_host = str(remote[0]) if remote else ""
        if len(self.sessions) >= self.settings.max_clients:  # admitted at once with others: the last ones wait
            await connection.close(
                protocol.CLOSE_TRY_AGAIN_LATER, f"server full ({self.settings.max_clients} clients); try again later"
            )
            return
        codec = self.codecs.by_subprotocol.get(connection.subprotocol or self.default_subprotocol)
        if codec is None:  # the display enabling it detached during the handshake
            if self._ended:  # because the stream ended (set on the engine's thread): nothing to reconnect to
                await connection.close(protocol.CLOSE_NORMAL, "stream ended")
            else:
                await connection.close(protocol.CLOSE_TRY_AGAIN_LATER, "codec no longer enabled; reconnect")
            return
        info = ClientInfo(
            id=next(_client_ids),
            remote=f"{remote_host}:{remote[1]}" if remote else "",
            codec=codec.subprotocol,
            role=role,
            display=self.listeners.display_name(codec.subprotocol),
            user_agent=request.headers.get("User-Agent", ""),
        )
        s = Session(connection, SessionProtocol(info, codec, self._limits))
        latest = self.latest
        width, height = (latest.width, latest.height) if latest else self.listeners.dimensions()
        s.protocol.hello(server=SERVER_NAME, width=width, height=height, codecs=self.codecs.by_subprotocol)
        log.info("client %s connected from %s (%s, %s)", info.id, info.remote, info.codec, role)
        try:
            self.fanout.add(s)
            self.listeners.connected(info)
            async for data in connection:
                self._receive(s, data)
        except ConnectionClosed as closed:
            log.debug("client %s closed: %s", info.id, closed)
        finally:
            self.fanout.remove(s)
            log.info("client %s disconnected", info.id)
            self.listeners.disconnected(info)

    def _receive(self, s: Session, data: str | bytes) -> None:
        event = s.protocol.receive(data)
        info = s.info
        if isinstance(event, Close):
            self.fanout.close(s, event.code, event.reason)
            return
        if isinstance(event, StateRequested):
            s.protocol.state(self.listeners.state())
        elif isinstance(event, Resize):
            refusal = self.listeners.resize(event.width, event.height, info)
            closing = None if refusal is None else s.protocol.refuse(protocol.UNSUPPORTED, refusal)
            if closing is not None:
                self.fanout.close(s, closing.code, closing.reason)
                return
        elif isinstance(event, Command):
            self.listeners.command(event.command, info)
        elif isinstance(event, Input):
            self.listeners.input(event.data, info)
        if s.drainer is None:
            self.fanout.pump(s)
