"""Every HTTP request on a hub's port, up to the WebSocket handshake: which stream it is for, whether its
policy lets it in, and what it gets.

The :class:`Router` answers websockets' ``process_request``,
``process_response`` and ``select_subprotocol`` callbacks for the
:class:`~glyphcast_websocket.hub.Hub`, and the requests the hub refuses
before websockets reads them (:class:`~glyphcast_websocket.request_head.BadRequest`).
The decisions are made without sockets (:mod:`.security`, :mod:`.pages`,
:mod:`.handshake`); the router picks the stream, counts and logs refusals and
hands an admitted upgrade its stream and role.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

from glyphcast.protocol import codec_subprotocols
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import NegotiationError
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from glyphcast_websocket import metrics, pages
from glyphcast_websocket.assets import Assets
from glyphcast_websocket.decisions import Handshake, Refusal
from glyphcast_websocket.handshake import NoCodec, choose_subprotocol
from glyphcast_websocket.intake import Handshakes
from glyphcast_websocket.named_stream import MAIN, NamedStream
from glyphcast_websocket.quote import quote
from glyphcast_websocket.ratelog import RateLimitedLog
from glyphcast_websocket.request_head import BadRequest
from glyphcast_websocket.security import Policy
from glyphcast_websocket.session import Session
from glyphcast_websocket.wsio import Connection


class HubState(Protocol):
    """What the router reads from the hub it routes for (:class:`~glyphcast_websocket.hub.Hub` is one)."""

    #: The streams on the port, by name; replaced whole when one comes or goes.
    rooms: dict[str, NamedStream]
    #: Rules for requests outside any stream (the list of streams, unknown paths).
    policy: Policy
    default_subprotocol: str
    handshakes: Handshakes
    metrics: metrics.HubMetrics
    ratelog: RateLimitedLog
    assets: Assets
    started_at: float

    @property
    def sessions(self) -> tuple[Session, ...]: ...


class Router:
    """The answers to HTTP requests on ``hub``'s port, before and during the WebSocket handshake."""

    def __init__(self, hub: HubState) -> None:
        self.hub = hub

    def locate(self, path: str) -> tuple[NamedStream | None, str]:
        """Which stream a request path is for, and the path within it: ``/s/NAME/rest`` or the main stream's."""
        rooms = self.hub.rooms
        if path.startswith("/s/"):
            name, _, rest = path[3:].partition("/")
            return rooms.get(name), f"/{rest}"
        return rooms.get(MAIN), path

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Every HTTP request, upgrade or not, passes its stream's security policy first (Host, method, Origin, token)."""
        assert isinstance(connection, Connection)
        hub = self.hub
        path = urlsplit(request.path).path
        room, rest = self.locate(path)
        listing = path == "/" and len(hub.rooms) > 1
        upgrade = "websocket" in request.headers.get("Upgrade", "").lower()
        ws_path = room is not None and rest in pages.WEBSOCKET_PATHS and (upgrade or rest == "/ws")
        if listing and not (upgrade and room is not None):
            room, ws_path = None, False
        handshake = Handshake(
            method=getattr(request, "method", "GET"),  # websockets < 16 hands over GET requests only
            target=request.path,
            headers=tuple(request.headers.raw_items()),
            upgrade=ws_path,
        )
        policy = room.policy if room is not None else hub.policy
        remote = connection.remote_address
        connected = (len(room.sessions) if room is not None else 0) + hub.handshakes.admitted()
        decision = policy.admit(handshake, str(remote[0]) if remote else "", time.monotonic(), connected)
        headers = policy.page_headers
        if isinstance(decision, Refusal):
            hub.ratelog.warning(
                decision.log_key,
                "refused %s %s: %s",
                quote(handshake.method, 20),
                quote(path),
                decision.reason,
            )
            hub.metrics.refused(room.name if room is not None else "", decision.log_key)
            return pages.response(decision.status, decision.body, headers=(*headers, *decision.headers))
        if ws_path and upgrade:
            connection.admission = decision
            connection.room = room
            if connection.ticket is not None:
                connection.ticket.admitted = True
            return None  # on to the WebSocket handshake
        if path == metrics.PATH:  # every stream's counts, under the page's rule (see docs/operations.md)
            body, content_type = hub.metrics.render(request.headers.get("Accept", ""))
            return pages.response(200, body, content_type, headers=headers, head=decision.head)
        if listing:
            return pages.listing(self.listed(), headers=headers, head=decision.head)
        if room is None and path == "/healthz":  # a port with named streams only: the server's health
            return pages.healthz(self.health(), headers=headers, head=decision.head)
        if room is None:
            return pages.response(404, b"no such stream\n", headers=headers, head=decision.head)
        if path == f"/s/{room.name}":  # the page's relative links need the trailing slash
            return pages.redirect(f"{path}/", headers=headers, head=decision.head)
        return pages.page(rest, hub.assets, lambda: self.health(room), headers=headers, head=decision.head)

    def process_response(
        self, connection: ServerConnection, request: Request, response: Response
    ) -> Response | None:
        """websockets' own refusals (a handshake it finds invalid: 400, 426, 500, ...) replaced by ours:
        the same status with the hub's headers, and a body that quotes nothing the client sent."""
        if response.status_code == 101 or "Content-Security-Policy" in response.headers:
            return None  # an upgrade, or a response the hub made itself
        assert isinstance(connection, Connection)
        hub = self.hub
        room = connection.room if isinstance(connection.room, NamedStream) else None
        policy = room.policy if room is not None else hub.policy
        error = connection.protocol.handshake_exc
        if isinstance(error, NegotiationError) and room is not None:
            reason = f"no codec in common: this server speaks {', '.join(sorted(room.codecs.by_subprotocol))}"
            key = "codec"  # counted by select_subprotocol already
        else:
            reason = pages.REASONS.get(
                response.status_code, "bad request: not a valid WebSocket opening handshake"
            )
            key = "bad-handshake"
            hub.metrics.refused(room.name if room is not None else "", key)
        hub.ratelog.info(
            (key, response.status_code),
            "refused a WebSocket handshake (%d): %s",
            response.status_code,
            quote(str(error)) if error is not None else "no reason given",
        )
        extra = tuple(
            (name, response.headers[name]) for name in ("Upgrade", "Allow") if name in response.headers
        )
        return pages.response(
            response.status_code, f"{reason}\n".encode(), headers=(*policy.page_headers, *extra)
        )

    def bad_request(self, error: BadRequest) -> Response:
        """The answer to a request the hub will not hand to websockets (too long, malformed, with a body)."""
        hub = self.hub
        hub.metrics.refused("", f"http-{error.status}")
        hub.ratelog.info(
            ("bad-request", error.status), "refused a request (%d): %s", error.status, error.reason
        )
        return pages.response(
            error.status, f"{error.reason}\n".encode(), headers=(*hub.policy.page_headers, *error.headers)
        )

    def select_subprotocol(
        self, connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        """The codec a connection gets (:func:`~glyphcast_websocket.handshake.choose_subprotocol`).

        The token entry (``glyphcast.token.*``) is never selected, nor quoted in an error.
        """
        assert isinstance(connection, Connection)
        room = connection.room
        codecs = codec_subprotocols(offered)
        try:
            chosen = choose_subprotocol(
                codecs, room.codecs.by_subprotocol if room else {}, self.hub.default_subprotocol
            )
        except NoCodec as error:
            self.hub.metrics.refused(room.name if room else "", "codec")
            raise NegotiationError(str(error)) from None
        return None if chosen is None else Subprotocol(chosen)

    def listed(self) -> list[tuple[str, str]]:
        """(name, page path) of the streams ``/`` lists: those anyone may watch (no view token)."""
        return [
            (room.name, f"/s/{room.name}/") for room in self.hub.rooms.values() if not room.settings.token
        ]

    def health(self, room: NamedStream | None = None) -> dict[str, Any]:
        """``/healthz``: the server, then the stream asked about and every stream.

        Without a stream (``/healthz`` on a port with named streams only): the server alone,
        with ``clients_total`` counting every stream's clients.
        """
        hub = self.hub
        stream: Mapping[str, Any] = (
            room.health() if room is not None else {"clients_total": len(hub.sessions)}
        )
        return {
            "status": "ok",
            "server": pages.SERVER_NAME,
            **stream,
            "uptime_s": round(time.monotonic() - hub.started_at, 3),
            "viewer": hub.assets.built,
            "streams": sorted(hub.rooms),
        }
