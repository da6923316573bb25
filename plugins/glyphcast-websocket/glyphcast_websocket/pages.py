"""HTTP on the hub's port (sans-I/O): the viewer's files, ``/healthz``, and the headers every page carries.

Requests that are not WebSocket upgrades get a complete :class:`Response`
here; nothing in this module touches a socket.
"""

from __future__ import annotations

import http
import json
from collections.abc import Callable
from typing import Any

from websockets.datastructures import Headers
from websockets.http11 import Response

from glyphcast_websocket.assets import NOT_BUILT_PAGE, Assets

#: Paths where the WebSocket upgrade is served (``/`` for the seed's clients).
WEBSOCKET_PATHS = ("/ws", "/")
METHODS = ("GET", "HEAD")
TEXT = "text/plain; charset=utf-8"


def content_security_policy(frame_ancestors: tuple[str, ...] = ()) -> str:
    """The page's CSP: only this origin's scripts and connections; framed only by itself (or the listed origins).

    xterm.js injects its theme as a ``<style>`` element, hence inline styles.
    """
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'self'"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        f"connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors {ancestors}"
    )


def response(
    status: int,
    body: bytes,
    content_type: str = TEXT,
    *,
    frame_ancestors: tuple[str, ...] = (),
    head: bool = False,
    extra: dict[str, str] | None = None,
) -> Response:
    """A complete HTTP response with the headers every page of the hub carries (HEAD: no body)."""
    headers = Headers()
    headers["Content-Type"] = content_type
    headers["Content-Length"] = str(len(body))
    headers["Cache-Control"] = "no-cache"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Content-Security-Policy"] = content_security_policy(frame_ancestors)
    if not frame_ancestors:
        headers["X-Frame-Options"] = "SAMEORIGIN"
    for name, value in (extra or {}).items():
        headers[name] = value
    headers["Connection"] = "close"
    return Response(status, http.HTTPStatus(status).phrase, headers, b"" if head else body)


def refusal(status: int, reason: str, *, retry_after: int | None = None, head: bool = False) -> Response:
    """A refused request: the status and one line saying why and what to do."""
    extra = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return response(status, f"{reason}\n".encode(), head=head, extra=extra)


def page(
    method: str,
    path: str,
    assets: Assets,
    health: Callable[[], dict[str, Any]],
    frame_ancestors: tuple[str, ...] = (),
) -> Response:
    """The response to a plain (non-upgrade) request for ``path``."""
    head = method == "HEAD"
    if method not in METHODS:
        return response(
            405, f"{method} is not allowed here: GET or HEAD\n".encode(), extra={"Allow": ", ".join(METHODS)}
        )
    if path == "/healthz":
        return response(200, json.dumps(health()).encode(), "application/json", head=head)
    asset = assets.get(path)
    if asset is None:
        if path == "/":
            return response(200, NOT_BUILT_PAGE, "text/html; charset=utf-8", frame_ancestors=frame_ancestors, head=head)
        return response(404, b"not found\n", head=head)
    return response(200, asset.body, asset.content_type, frame_ancestors=frame_ancestors, head=head)
