"""glyphcast-diff: the ``glyphcast.diff.v1`` wire codec (msgpack keyframes + deltas)."""

from __future__ import annotations

from glyphcast_diff.codec import SUBPROTOCOL, DiffCodec

__version__ = "0.1.0"

__all__ = ["__version__", "SUBPROTOCOL", "DiffCodec"]
