"""HTTP on the hub's port (sans-I/O): the viewer's files, ``/healthz``, and the headers every response carries.

Requests the security policy admitted, and that are not WebSocket upgrades,
get a complete :class:`~websockets.http11.Response` here (refusals too, through :func:`response`);
nothing in this module touches a socket.
"""

from __future__ import annotations

import html
import http
import json
from collections.abc import Callable, Iterable
from typing import Any

from glyphcast import __version__
from websockets.datastructures import Headers
from websockets.http11 import Response

from glyphcast_websocket.assets import NOT_BUILT_PAGE, Assets

#: The server's name: its ``Server`` header, ``/healthz``'s ``server`` and ``hello``'s.
SERVER_NAME = f"glyphcast/{__version__}"
#: Paths where the WebSocket upgrade is served (``/`` for legacy clients).
WEBSOCKET_PATHS = ("/ws", "/")
TEXT = "text/plain; charset=utf-8"
#: Pages served under a name without ``.html``: ``/player`` is asciinema-player watching the stream
#: (built with the viewer; it plays the stream when glyphcast-asciinema's codecs are enabled).
PAGES = {"/player": "player.html"}
#: asciinema-player runs its terminal emulator as WebAssembly, which a page may only compile when its
#: script-src allows it; ``'wasm-unsafe-eval'`` allows exactly that (never JavaScript ``eval``).
WASM_PAGES = frozenset({"/player", "/player.html"})

#: xterm.js injects its theme as a ``<style>`` element, hence inline styles; nothing else inline.
CSP_BASE = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'"
)
SELF = "'self'"


def page_headers(frame_ancestors: Iterable[str] = ()) -> tuple[tuple[str, str], ...]:
    """Headers for EVERY HTTP response (pages, /healthz, errors, refusals): no framing by other sites.

    ``frame_ancestors``: origins that may frame the viewer besides the server itself (none: only it).
    """
    ancestors = tuple(frame_ancestors)
    headers = [
        ("Content-Security-Policy", f"{CSP_BASE}; frame-ancestors {' '.join(ancestors) or SELF}"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]
    if not ancestors:
        headers.append(("X-Frame-Options", "SAMEORIGIN"))
    return tuple(headers)


def allow_wasm(headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """``headers`` with WebAssembly compilation added to the Content-Security-Policy's script-src."""
    return tuple(
        (name, value.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", 1))
        if name.lower() == "content-security-policy"
        else (name, value)
        for name, value in headers
    )


def response(
    status: int,
    body: bytes,
    content_type: str = TEXT,
    *,
    headers: Iterable[tuple[str, str]] = (),
    head: bool = False,
) -> Response:
    """A complete HTTP response with ``headers`` (the policy's page headers, Allow, ...); HEAD: no body."""
    out = Headers()
    out["Content-Type"] = content_type
    out["Content-Length"] = str(len(body))
    out["Cache-Control"] = "no-cache"
    for name, value in headers:
        out[name] = value
    out["Connection"] = "close"
    return Response(status, http.HTTPStatus(status).phrase, out, b"" if head else body)


#: The body of a refusal websockets decided (``Server.process_response`` replaces its own), by status:
#: what the status means here, never the library's message, which may quote the request.
REASONS = {
    400: "bad request: not a valid WebSocket opening handshake",
    403: "forbidden",
    405: "method not allowed: GET or HEAD",
    426: "this is the WebSocket endpoint: connect with a WebSocket client",
    500: "internal error: the WebSocket handshake failed",
    503: "the server is shutting down; try again later",
    505: "HTTP/1.1 only",
}


def healthz(
    state: dict[str, Any], *, headers: Iterable[tuple[str, str]] = (), head: bool = False
) -> Response:
    """``/healthz``: ``state`` as JSON."""
    return response(200, json.dumps(state).encode(), "application/json", headers=headers, head=head)


def redirect(location: str, *, headers: Iterable[tuple[str, str]] = (), head: bool = False) -> Response:
    """308 to ``location`` (a path on this server)."""
    return response(308, f"see {location}\n".encode(), headers=(*headers, ("Location", location)), head=head)


def listing(
    streams: Iterable[tuple[str, str]], *, headers: Iterable[tuple[str, str]] = (), head: bool = False
) -> Response:
    """``/`` when a port carries several streams: a link to each (name, page path)."""
    items = (
        "".join(f'<li><a href="{html.escape(path)}">{html.escape(name)}</a></li>' for name, path in streams)
        or "<li>none open to watch without a link</li>"
    )
    body = (
        '<!doctype html><meta charset="utf-8"><title>glyphcast streams</title>'
        f"<h1>Streams on this server</h1><ul>{items}</ul>"
    )
    return response(200, body.encode(), "text/html; charset=utf-8", headers=headers, head=head)


def page(
    path: str,
    assets: Assets,
    health: Callable[[], dict[str, Any]],
    *,
    headers: Iterable[tuple[str, str]] = (),
    head: bool = False,
) -> Response:
    """The response to an admitted GET/HEAD of ``path`` that is not a WebSocket upgrade."""
    if path in WEBSOCKET_PATHS[:1]:
        return response(
            426,
            b"this is the WebSocket endpoint: connect with a WebSocket client\n",
            headers=(*headers, ("Upgrade", "websocket")),
            head=head,
        )
    if path == "/healthz":
        return healthz(health(), headers=headers, head=head)
    if path in WASM_PAGES:
        headers = allow_wasm(headers)
    asset = assets.get(PAGES.get(path, path))
    if asset is None:
        if path == "/":
            return response(200, NOT_BUILT_PAGE, "text/html; charset=utf-8", headers=headers, head=head)
        return response(404, b"not found\n", headers=headers, head=head)
    return response(200, asset.body, asset.content_type, headers=headers, head=head)
