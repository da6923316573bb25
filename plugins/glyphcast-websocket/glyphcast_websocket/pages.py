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


def response(status: int, body: bytes, content_type: str) -> Response:
    """A complete HTTP response with the headers every page of the hub carries."""
    headers = Headers()
    headers["Content-Type"] = content_type
    headers["Content-Length"] = str(len(body))
    headers["Cache-Control"] = "no-cache"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Connection"] = "close"
    return Response(status, http.HTTPStatus(status).phrase, headers, body)


def page(path: str, assets: Assets, health: Callable[[], dict[str, Any]]) -> Response:
    """The response to a plain (non-upgrade) GET of ``path``."""
    if path == "/healthz":
        return response(200, json.dumps(health()).encode(), "application/json")
    asset = assets.get(path)
    if asset is None:
        if path == "/":
            return response(200, NOT_BUILT_PAGE, "text/html; charset=utf-8")
        return response(404, b"not found\n", "text/plain; charset=utf-8")
    return response(200, asset.body, asset.content_type)
