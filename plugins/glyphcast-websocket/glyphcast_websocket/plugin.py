"""glyphcast plugin: the ``websocket`` display (every installed codec on one port)."""

from __future__ import annotations

from glyphcast import hookimpl
from glyphcast.hookspecs import RegisterDisplay

from glyphcast_websocket.display import display_factory


@hookimpl
def register_displays(register: RegisterDisplay) -> None:
    register(
        "websocket",
        display_factory(None),
        "browsers over WebSocket: the viewer page and every installed codec on one port",
    )
