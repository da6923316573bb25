"""``glyphcast.json.v1``: every message is one JSON object in a text frame (sans-I/O).

Legacy clients read ``{"type": "frame", "width", "height", "lines"}``; a
v1 frame carries those keys plus ``seq`` and ``ts``, so they keep working.
This codec sends no deltas: every frame is full.
"""

from __future__ import annotations

import json
from typing import Any

from glyphcast import Frame
from glyphcast.protocol import JSON_SUBPROTOCOL, decode_json, frame_message

SUBPROTOCOL = JSON_SUBPROTOCOL

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class JsonCodec:
    """JSON text frames, full frames only."""

    subprotocol = SUBPROTOCOL
    deltas = False

    def encode(self, message: dict[str, Any]) -> str:
        """One message as a compact JSON object (UTF-8 text, not ``\\u`` escapes)."""
        return _dumps(message)

    def encode_frame(self, frame: Frame) -> str:
        """A ``frame`` message."""
        return _dumps(frame_message(frame))

    def encode_delta(self, frame: Frame, base: Frame) -> str:
        """No deltas in this codec (the hub never asks): a full frame is valid on any base."""
        return self.encode_frame(frame)

    def decode(self, data: bytes) -> Any:
        """A binary frame on this codec is UTF-8 JSON too."""
        return decode_json(data)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.subprotocol}>"
