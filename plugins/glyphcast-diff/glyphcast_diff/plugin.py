"""Entry point ``diff``: registers codec ``glyphcast.diff.v1`` and display ``websocket-diff``."""

from __future__ import annotations

from glyphcast import hookimpl
from glyphcast.hookspecs import RegisterCodec, RegisterDisplay

from glyphcast_diff.codec import SUBPROTOCOL, DiffCodec


@hookimpl
def register_codecs(register: RegisterCodec) -> None:
    register(DiffCodec())


@hookimpl
def register_displays(register: RegisterDisplay) -> None:
    from glyphcast_websocket import display_factory

    register(
        "websocket-diff",
        display_factory(SUBPROTOCOL),
        "browsers over WebSocket, msgpack keyframes + changed rows (glyphcast.diff.v1)",
    )
