"""``glyphcast.json.v1``: every message is one JSON object in a text frame (sans-I/O).

The seed's clients read ``{"type": "frame", "width", "height", "lines"}``; a
v1 frame carries those keys plus ``seq`` and ``ts``, so they keep working.
This codec sends no deltas: every frame is full.
"""

from __future__ import annotations

import json
from typing import Any

from glyphcast import CodecError, Frame
from glyphcast.codec import frame_message

SUBPROTOCOL = "glyphcast.json.v1"

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class JsonCodec:
    """JSON text frames, full frames only."""

    subprotocol = SUBPROTOCOL
    binary = False
    deltas = False

    def encode(self, message: dict[str, Any]) -> str:
        return _dumps(message)

    def encode_frame(self, frame: Frame) -> str:
        return _dumps(frame_message(frame))

    def encode_delta(self, frame: Frame, base: Frame) -> str:
        """No deltas in this codec: a full frame is always a valid answer."""
        return self.encode_frame(frame)

    def decode(self, data: bytes | str) -> dict[str, Any]:
        try:
            message = json.loads(data)
        except ValueError as error:
            raise CodecError(f"not valid JSON: {error}") from None
        if not isinstance(message, dict):
            raise CodecError('a message must be a JSON object with a "type" field')
        return message
