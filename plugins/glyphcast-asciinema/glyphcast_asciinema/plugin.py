"""Entry point ``asciinema``: codecs ``v1.alis``, ``v2.asciicast``, ``v3.asciicast`` and a display for each.

One :class:`~glyphcast_asciinema.timeline.Timeline` for the three, so every
format counts from the same time 0. The ``websocket`` display (every installed
codec) offers them next to glyphcast's own; asciinema-player asks for
``v1.alis`` first. ``websocket-alis``, ``websocket-asciicast-v2`` and
``websocket-asciicast-v3`` serve one format each.
"""

from __future__ import annotations

from glyphcast import hookimpl
from glyphcast.hookspecs import RegisterCodec, RegisterDisplay

from glyphcast_asciinema.alis import ALIS_SUBPROTOCOL, AlisCodec
from glyphcast_asciinema.asciicast import (
    ASCIICAST_V2_SUBPROTOCOL,
    ASCIICAST_V3_SUBPROTOCOL,
    AsciicastV2Codec,
    AsciicastV3Codec,
)
from glyphcast_asciinema.timeline import Timeline

DISPLAYS = {
    "websocket-alis": (ALIS_SUBPROTOCOL, "asciinema-player over WebSocket, ALiS v1 (binary events)"),
    "websocket-asciicast-v2": (
        ASCIICAST_V2_SUBPROTOCOL,
        "asciinema-player over WebSocket, asciicast v2 lines",
    ),
    "websocket-asciicast-v3": (
        ASCIICAST_V3_SUBPROTOCOL,
        "asciinema-player over WebSocket, asciicast v3 lines",
    ),
}


@hookimpl
def register_codecs(register: RegisterCodec) -> None:
    timeline = Timeline()
    register(AlisCodec(timeline))
    register(AsciicastV2Codec(timeline))
    register(AsciicastV3Codec(timeline))


@hookimpl
def register_displays(register: RegisterDisplay) -> None:
    from glyphcast_websocket import display_factory

    for name, (subprotocol, description) in DISPLAYS.items():
        register(name, display_factory(subprotocol, name=name), description)
