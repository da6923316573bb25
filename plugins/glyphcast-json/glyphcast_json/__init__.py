"""The ``glyphcast.json.v1`` wire codec: JSON objects in WebSocket text frames."""

from __future__ import annotations

from glyphcast_json.codec import SUBPROTOCOL, JsonCodec

__version__ = "0.1.0"

__all__ = ["__version__", "SUBPROTOCOL", "JsonCodec"]
