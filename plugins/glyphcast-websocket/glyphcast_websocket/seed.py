"""The old name of :mod:`glyphcast_websocket.legacy` (the legacy ``WebSocketDisplay``), kept so that engines
importing ``glyphcast_websocket.seed`` still work. New code imports ``from glyphcast_websocket import
WebSocketDisplay``; "seed" now means only the demo's random seed."""

from __future__ import annotations

from glyphcast_websocket.legacy import MODE_SUBPROTOCOLS, StreamingMode, WebSocketDisplay

__all__ = ["MODE_SUBPROTOCOLS", "StreamingMode", "WebSocketDisplay"]
