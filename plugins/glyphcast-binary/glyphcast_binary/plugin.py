"""Entry point ``binary``: registers codec ``glyphcast.binary.v1`` and display ``websocket-binary``."""

from __future__ import annotations

from glyphcast import hookimpl
from glyphcast.hookspecs import RegisterCodec, RegisterDisplay

from glyphcast_binary.codec import SUBPROTOCOL, BinaryCodec


@hookimpl
def register_codecs(register: RegisterCodec) -> None:
    register(BinaryCodec())


@hookimpl
def register_displays(register: RegisterDisplay) -> None:
    from glyphcast_websocket import display_factory

    register(
        "websocket-binary",
        display_factory(SUBPROTOCOL),
        "browsers over WebSocket, full frames as msgpack (glyphcast.binary.v1)",
    )
