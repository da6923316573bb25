"""glyphcast plugin: codec ``glyphcast.json.v1`` and display ``websocket-json``."""

from __future__ import annotations

from glyphcast import hookimpl
from glyphcast.hookspecs import RegisterCodec, RegisterDisplay
from glyphcast_websocket import display_factory

from glyphcast_json.codec import SUBPROTOCOL, JsonCodec


@hookimpl
def register_codecs(register: RegisterCodec) -> None:
    register(JsonCodec())


@hookimpl
def register_displays(register: RegisterDisplay) -> None:
    register("websocket-json", display_factory(SUBPROTOCOL), "browsers over WebSocket, JSON text frames")
