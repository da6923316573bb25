"""The hub: one asyncio server per (host, port), on its own thread and event loop.

One port serves HTTP (the viewer, ``/healthz``) and the WebSocket upgrade at
``/ws`` and ``/``. Displays attach to a hub (several websocket-* displays on the
same host and port share one; the enabled codecs are the union of theirs) and
hand it frames with :meth:`Hub.deliver`, which only schedules
:meth:`Hub.publish` on the hub's loop and returns.

Delivery: :meth:`Hub.publish` walks the sessions and writes directly to every
session whose socket is below its write limit (no coroutine wakeup per frame
and session). A session whose socket is full gets a single drain waiter; when
the socket drains it is written the newest frame (see
:class:`~glyphcast_websocket.delivery.Outbox`). The one function that writes
bytes is :meth:`Hub.pump`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import http
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from glyphcast import ClientInfo, Codec, DisplayError, Frame, __version__
from glyphcast.frame import now_ms
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, NegotiationError
from websockets.http11 import Request, Response
from websockets.protocol import State

from glyphcast_websocket import messages
from glyphcast_websocket.assets import NOT_BUILT_HINT, NOT_BUILT_PAGE, Assets
from glyphcast_websocket.delivery import EncodeCache, Outbox, ReplyOverflow, Wire
from glyphcast_websocket.security import CONTROLLER, Policy

if TYPE_CHECKING:
    from glyphcast_websocket.display import HubDisplay

log = logging.getLogger("glyphcast.websocket")

JSON_SUBPROTOCOL = "glyphcast.json.v1"
WEBSOCKET_PATHS = ("/ws", "/")
MAX_MESSAGE = 64 * 1024
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_INTERNAL = 1011
CLOSE_TRY_AGAIN_LATER = 1013
STOP_TIMEOUT = 2.0
PROTOCOL_VERSION = 1
SERVER_NAME = f"glyphcast/{__version__}"

_client_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Settings:
    """Per-hub settings; displays sharing a hub must agree on them."""

    token: str = ""
    control_token: str = ""
    allow_origin: tuple[str, ...] = ()
    max_clients: int = 256
    write_limit: int = 32 * 1024
    open_timeout: float = 10.0
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    rate: float = 50.0
    burst: float = 100.0

    @property
    def policy(self) -> Policy:
        return Policy(self.token, self.control_token, self.allow_origin)


@dataclass(eq=False, slots=True)
class Session:
    """One connected client: its connection, its outbox and its limits."""

    connection: ServerConnection
    outbox: Outbox
    info: ClientInfo
    bucket: messages.TokenBucket
    drainer: asyncio.Task[None] | None = None
    bytes_sent: int = 0
    closing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def codec(self) -> Codec:
        return self.outbox.codec


def _hook() -> Any:
    from glyphcast.plugins import hook

    return hook()


def call_safely(what: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a hook or a user callback; a raising one is logged, never allowed to drop a client."""
    try:
        return function(*args, **kwargs)
    except Exception:
        log.exception("%s raised; the connection goes on", what)
        return None


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class Hub:
    """One server on one (host, port): sessions, codecs, the newest frame."""

    def __init__(self, host: str, port: int, settings: Settings) -> None:
        self.host = host
        self.requested_port = port
        self.port = port
        self.settings = settings
        self.policy = settings.policy
        self.assets = Assets()
        self.displays: list[HubDisplay] = []
        self.codecs: dict[str, Codec] = {}
        self._codec_refs: dict[str, int] = {}
        self.default_subprotocol = JSON_SUBPROTOCOL
        self.sessions: tuple[Session, ...] = ()
        self.latest: Frame | None = None
        self.cache = EncodeCache()
        self.frames = 0
        self.started_at = time.monotonic()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._source: Frame | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    # -- displays and codecs (any thread) -------------------------------------
    def attach(self, display: HubDisplay, codecs: Iterable[Codec]) -> None:
        """Add a display and the codecs it enables (refcounted across displays)."""
        enabled = dict(self.codecs)
        for codec in codecs:
            self._codec_refs[codec.subprotocol] = self._codec_refs.get(codec.subprotocol, 0) + 1
            enabled[codec.subprotocol] = codec
        self.codecs = enabled  # replaced whole: the hub thread reads it without a lock
        self.displays = [*self.displays, display]

    def detach(self, display: HubDisplay, codecs: Iterable[Codec]) -> None:
        enabled = dict(self.codecs)
        for codec in codecs:
            left = self._codec_refs.get(codec.subprotocol, 0) - 1
            if left <= 0:
                self._codec_refs.pop(codec.subprotocol, None)
                enabled.pop(codec.subprotocol, None)
            else:
                self._codec_refs[codec.subprotocol] = left
        self.codecs = enabled
        self.displays = [d for d in self.displays if d is not display]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    # -- lifecycle (engine thread) --------------------------------------------
    def start(self) -> None:
        """Bind and serve on a new thread; raise DisplayError (one line) if the port is taken."""
        ready: concurrent.futures.Future[int] = concurrent.futures.Future()
        self.loop = _new_loop()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name=f"glyphcast-hub-{self.host}:{self.port}", daemon=True
        )
        self._thread.start()
        try:
            self.port = ready.result(timeout=10)
        except OSError as error:
            self._thread.join(STOP_TIMEOUT)
            reason = "address already in use" if error.errno == errno.EADDRINUSE else str(error)
            raise DisplayError(
                f"cannot listen on {self.host}:{self.requested_port}: {reason} "
                f"(choose another port, e.g. --display websocket:port={self.requested_port + 1})"
            ) from None
        if not self.assets.built:
            log.warning("glyphcast websocket on %s: %s", self.url, NOT_BUILT_HINT)

    def _run(self, ready: concurrent.futures.Future[int]) -> None:
        loop = self.loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve(ready))
        except Exception as error:
            if not ready.done():
                ready.set_exception(error)
            else:
                log.exception("the websocket hub on %s:%s stopped with an error", self.host, self.port)
                for display in self.displays:
                    display.fail(error)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self, ready: concurrent.futures.Future[int]) -> None:
        self._stopped = asyncio.Event()
        s = self.settings
        self._server = await serve(
            self._handle,
            self.host,
            self.requested_port,
            process_request=self._process_request,
            select_subprotocol=self._select_subprotocol,
            compression=None,  # per-connection deflate would defeat encode-once and frame-once
            max_size=MAX_MESSAGE,
            write_limit=s.write_limit,
            open_timeout=s.open_timeout,
            ping_interval=s.ping_interval,
            ping_timeout=s.ping_timeout,
            close_timeout=1.0,
            server_header=SERVER_NAME,
        )
        sockets = self._server.sockets
        ready.set_result(int(sockets[0].getsockname()[1]) if sockets else self.requested_port)
        await self._stopped.wait()
        self._server.close(close_connections=True)  # closes every client with 1001
        try:
            await asyncio.wait_for(self._server.wait_closed(), STOP_TIMEOUT - 0.5)
        except TimeoutError:
            log.warning("clients of %s did not close in time; dropping them", self.url)

    def stop(self) -> None:
        """Close every client with 1001, stop serving and join the thread (within 2 s)."""
        loop, thread = self.loop, self._thread
        if loop is None or thread is None:
            return
        if not loop.is_closed() and self._stopped is not None:
            try:
                loop.call_soon_threadsafe(self._stopped.set)
            except RuntimeError:
                log.debug("hub loop already closed")
        thread.join(STOP_TIMEOUT)
        if thread.is_alive():
            log.warning("the websocket hub thread on %s did not stop within %.0f s", self.url, STOP_TIMEOUT)

    # -- from displays (any thread): O(1), hand over to the loop -------------
    def deliver(self, frame: Frame) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.publish, frame)

    def call(self, function: Callable[..., Any], *args: Any) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(function, *args)

    # -- on the hub's loop ------------------------------------------------------
    def publish(self, frame: Frame) -> None:
        """Make ``frame`` the newest and write it to every session that can take it now."""
        if frame is self._source:
            return  # the same frame from another websocket-* display of this stream
        self._source = frame
        latest = self.latest
        if latest is not None and frame.seq <= latest.seq:
            # Separately numbered producers share this hub: keep the wire's seq increasing.
            frame = Frame(frame.rows, frame.width, frame.height, latest.seq + 1, frame.ts)
        self.latest = frame
        self.frames += 1
        for session in self.sessions:
            if session.drainer is None:
                self.pump(session)

    def clear(self) -> None:
        """Blank every client's screen; the next frame goes out as a keyframe."""
        seq = self.latest.seq if self.latest is not None else 0
        self.latest = None
        self._source = None
        notices: dict[str, Wire] = {}
        for session in self.sessions:
            codec = session.codec
            notice = notices.get(codec.subprotocol)
            if notice is None:
                notice = notices[codec.subprotocol] = Wire.of(codec.encode({"type": "clear", "seq": seq}))
            session.outbox.cleared(notice)
            if session.drainer is None:
                self.pump(session)

    def broadcast_state(self, state: dict[str, Any]) -> None:
        for session in self.sessions:
            session.outbox.broadcast_state(state)
            if session.drainer is None:
                self.pump(session)

    def pump(self, session: Session) -> None:
        """THE hot path: write what ``session`` gets next for as long as its socket takes it.

        The bytes are the shared, pre-framed :class:`Wire` from the encode
        cache, written straight to the transport: the server never masks, and
        with compression off there is no per-connection transformation, so
        this is exactly what ``connection.send`` would have produced. Once the
        socket is above its write limit, one drain waiter picks up the newest
        frame when it drains.
        """
        connection = session.connection
        try:
            while not connection.paused:
                if connection.protocol.state is not State.OPEN or session.closing:
                    return
                wire = session.outbox.next(self.latest, self.cache)
                if wire is None:
                    return
                connection.transport.write(wire.framed)
                session.bytes_sent += len(wire.framed)
        except Exception as error:
            log.exception("could not send to client %s; closing it", session.info.id)
            self._close(session, CLOSE_INTERNAL, f"server error: {type(error).__name__}")
            return
        if session.outbox.pending(self.latest) and session.drainer is None:
            session.drainer = asyncio.get_running_loop().create_task(self._drain(session))

    async def _drain(self, session: Session) -> None:
        try:
            await session.connection.drain()
        except OSError as error:  # the connection died while full; its handler cleans up
            log.debug("client %s went away while its socket was full: %s", session.info.id, error)
            return
        finally:
            session.drainer = None
        self.pump(session)

    def _close(self, session: Session, code: int, reason: str) -> None:
        if not session.closing:
            session.closing = True
            asyncio.get_running_loop().create_task(session.connection.close(code, reason))

    # -- HTTP and handshake -----------------------------------------------------
    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        upgrade = "websocket" in request.headers.get("Upgrade", "").lower()
        if upgrade and parts.path in WEBSOCKET_PATHS:
            origin = request.headers.get("Origin")
            if not self.policy.origin_allowed(origin, request.headers.get("Host")):
                log.warning("refused a WebSocket from origin %r (host %r)", origin, request.headers.get("Host"))
                return connection.respond(
                    http.HTTPStatus.FORBIDDEN,
                    f"origin {origin} is not allowed: open the viewer from this server, "
                    "or start it with allow_origin=<origin>\n",
                )
            return None
        if parts.path == "/healthz":
            return _response(200, json.dumps(self.health()).encode(), "application/json")
        if parts.path == "/":
            asset = self.assets.get("/")
            if asset is None:
                return _response(200, NOT_BUILT_PAGE, "text/html; charset=utf-8")
            return _response(200, asset.body, asset.content_type)
        asset = self.assets.get(parts.path)
        if asset is None:
            return _response(404, b"not found\n", "text/plain; charset=utf-8")
        return _response(200, asset.body, asset.content_type)

    def _select_subprotocol(self, connection: ServerConnection, offered: Any) -> str | None:
        codecs = self.codecs
        for subprotocol in offered:
            if subprotocol in codecs:
                return str(subprotocol)
        speaks = ", ".join(sorted(codecs)) or "nothing"
        if offered:
            raise NegotiationError(
                f"none of the offered subprotocols ({', '.join(offered)}) is enabled; this server speaks {speaks}"
            )
        if self.default_subprotocol not in codecs:
            raise NegotiationError(
                f"no subprotocol offered and {self.default_subprotocol} is not enabled; offer one of {speaks}"
            )
        return None  # seed clients: no header in the answer, the default codec

    def health(self) -> dict[str, Any]:
        clients: dict[str, int] = dict.fromkeys(self.codecs, 0)
        for session in self.sessions:
            clients[session.codec.subprotocol] = clients.get(session.codec.subprotocol, 0) + 1
        return {
            "status": "ok",
            "server": SERVER_NAME,
            "clients": clients,
            "clients_total": len(self.sessions),
            "frames": self.frames,
            "seq": self.latest.seq if self.latest is not None else None,
            "uptime_s": round(time.monotonic() - self.started_at, 3),
            "codecs": sorted(self.codecs),
            "viewer": self.assets.built,
        }

    # -- one connection ---------------------------------------------------------
    async def _handle(self, connection: ServerConnection) -> None:
        request = connection.request
        assert request is not None
        query = parse_qs(urlsplit(request.path).query)
        remote = connection.remote_address
        remote_host = str(remote[0]) if remote else ""
        role = self.policy.role((query.get("token") or [None])[0], remote_host)
        if role is None:
            await connection.close(CLOSE_POLICY, "missing or invalid token")
            return
        if len(self.sessions) >= self.settings.max_clients:
            await connection.close(
                CLOSE_TRY_AGAIN_LATER, f"server full ({self.settings.max_clients} clients); try again later"
            )
            return
        codec = self.codecs.get(connection.subprotocol or self.default_subprotocol)
        if codec is None:  # the display enabling it detached during the handshake
            await connection.close(CLOSE_TRY_AGAIN_LATER, "codec no longer enabled; reconnect")
            return
        display = self._display_for(codec.subprotocol)
        info = ClientInfo(
            id=next(_client_ids),
            remote=f"{remote_host}:{remote[1]}" if remote else "",
            codec=codec.subprotocol,
            role=role,
            display=display.name if display is not None else "websocket",
            user_agent=request.headers.get("User-Agent", ""),
        )
        session = Session(
            connection, Outbox(codec), info, messages.TokenBucket(self.settings.rate, self.settings.burst)
        )
        latest = self.latest
        width, height = (latest.width, latest.height) if latest else self._dimensions()
        session.outbox.reply(
            {
                "type": "hello",
                "protocol": PROTOCOL_VERSION,
                "server": SERVER_NAME,
                "codec": codec.subprotocol,
                "width": width,
                "height": height,
                "role": role,
            }
        )
        self.sessions = (*self.sessions, session)
        log.info("client %s connected from %s (%s, %s)", info.id, info.remote, info.codec, role)
        try:
            self.pump(session)
            self._notify_connected(info)
            async for data in connection:
                self._receive(session, data)
        except ConnectionClosed as closed:
            log.debug("client %s closed: %s", info.id, closed)
        finally:
            self.sessions = tuple(s for s in self.sessions if s is not session)
            if session.drainer is not None:
                session.drainer.cancel()
            log.info("client %s disconnected", info.id)
            self._notify_disconnected(info)

    def _dimensions(self) -> tuple[int, int]:
        for display in self.displays:
            return display.get_dimensions()
        return (80, 24)

    def _display_for(self, subprotocol: str) -> HubDisplay | None:
        for display in self.displays:
            if subprotocol in display.subprotocols:
                return display
        return None

    def _receive(self, session: Session, data: str | bytes) -> None:
        try:
            if not session.bucket.take():
                raise session.bucket.rejection()
            message = messages.check(messages.decode(data, session.codec), session.info.role)
            reply = self._answer(session, message)
        except messages.Rejected as rejected:
            reply = rejected.as_error()
        try:
            if reply is not None:
                session.outbox.reply(reply)
        except ReplyOverflow as overflow:
            self._close(session, CLOSE_POLICY, f"client does not read its replies ({overflow})")
            return
        if session.drainer is None:
            self.pump(session)

    def _answer(self, session: Session, message: dict[str, Any]) -> dict[str, Any] | None:
        """Act on one checked client message; return the reply, if it gets one."""
        kind = message["type"]
        info = session.info
        if kind == "ping":
            return {"type": "pong", "ts": message["ts"], "server_ts": now_ms()}
        if kind == "hello":
            session.extra["client"] = message.get("client", "")
            if "viewport" in message:
                session.extra["viewport"] = message["viewport"]
            return None
        if kind == "resync":
            session.outbox.resync()
            return None
        if kind == "state_request":
            return {"type": "state", "state": self.state_snapshot()}
        assert info.role == CONTROLLER  # messages.check refused the others
        if kind == "resize":
            width, height = message["width"], message["height"]
            call_safely("client_resize hook", _hook().client_resize, width=width, height=height, client=info)
            for display in self.displays:
                display.client_resized(width, height)
        elif kind == "command":
            command = message["command"]
            call_safely("client_command hook", _hook().client_command, command=command, client=info)
            for callback in _distinct(d.command_callback for d in self.displays):
                call_safely("command callback", callback, command)
        elif kind == "input":
            call_safely("client_input hook", _hook().client_input, data=message["data"], client=info)
        return None

    def state_snapshot(self) -> dict[str, Any]:
        """The ``state`` reply: every ``state_snapshot`` hook's dict, then each display's controller."""
        state: dict[str, Any] = {}
        results = call_safely("state_snapshot hook", _hook().state_snapshot) or []
        for result in reversed(results):  # pluggy calls the last registered first
            if isinstance(result, dict):
                state.update(result)
        for display in self.displays:
            snapshot = call_safely("controller snapshot", display._get_state_snapshot)
            if snapshot:
                state.update(snapshot)
        return state

    def _notify_connected(self, info: ClientInfo) -> None:
        call_safely("client_connected hook", _hook().client_connected, client=info)
        for callback in _distinct(d.connected_callback for d in self.displays):
            call_safely("client connected callback", callback, info)

    def _notify_disconnected(self, info: ClientInfo) -> None:
        call_safely("client_disconnected hook", _hook().client_disconnected, client=info)
        for callback in _distinct(d.disconnected_callback for d in self.displays):
            call_safely("client disconnected callback", callback, info)


def _distinct(callbacks: Iterable[Callable[..., Any] | None]) -> list[Callable[..., Any]]:
    seen: list[Callable[..., Any]] = []
    for callback in callbacks:
        if callback is not None and callback not in seen:
            seen.append(callback)
    return seen


def _response(status: int, body: bytes, content_type: str) -> Response:
    headers = Headers()
    headers["Content-Type"] = content_type
    headers["Content-Length"] = str(len(body))
    headers["Cache-Control"] = "no-cache"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Connection"] = "close"
    return Response(status, http.HTTPStatus(status).phrase, headers, body)


# -- hubs shared by host and port ---------------------------------------------
_hubs: dict[tuple[str, int], Hub] = {}
_hubs_lock = threading.Lock()


def acquire(display: HubDisplay, host: str, port: int, settings: Settings, codecs: list[Codec]) -> Hub:
    """The hub on (host, port) with ``display`` attached, started if it is new.

    port 0 (ephemeral) always gets a hub of its own.
    """
    with _hubs_lock:
        hub = _hubs.get((host, port)) if port else None
        if hub is not None:
            if hub.settings != settings:
                raise DisplayError(
                    f"displays on {host}:{port} must share one set of options (token, control_token, "
                    f"allow_origin, max_clients, ...); this one differs from the running hub's"
                )
            hub.attach(display, codecs)
            return hub
        hub = Hub(host, port, settings)
        hub.attach(display, codecs)
        hub.start()
        _hubs[(host, hub.port)] = hub
        return hub


def release(display: HubDisplay, hub: Hub, codecs: list[Codec]) -> None:
    """Detach ``display``; the last display out stops the hub."""
    with _hubs_lock:
        hub.detach(display, codecs)
        if hub.displays:
            return
        _hubs.pop((hub.host, hub.port), None)
    hub.stop()
