"""The wire codec contract: how frames become WebSocket messages and back.

Codecs are pure (sans-I/O): messages and frames in, ``bytes``/``str`` out. The
WebSocket hub negotiates one per connection by ``Sec-WebSocket-Protocol`` and
encodes each (codec, base, seq) once for every session at that point.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from glyphcast.frame import Delta, Frame


class CodecError(ValueError):
    """A client message could not be decoded; the text is sent back in an ``error`` reply."""


@runtime_checkable
class Codec(Protocol):
    """One wire codec, e.g. ``glyphcast.json.v1``."""

    #: The WebSocket subprotocol name, e.g. "glyphcast.json.v1".
    subprotocol: str
    #: True if messages travel as binary WebSocket frames, False for text frames.
    binary: bool
    #: True if the codec sends ``delta`` messages on top of keyframes.
    deltas: bool

    def encode(self, message: dict[str, Any]) -> bytes | str:
        """Encode one server->client message (a map with ``type``)."""

    def encode_frame(self, frame: Frame) -> bytes | str:
        """Encode a full ``frame`` message."""

    def encode_delta(self, frame: Frame, base: Frame) -> bytes | str:
        """Encode a ``delta`` from ``base`` to ``frame`` (same shape)."""

    def decode(self, data: bytes | str) -> dict[str, Any]:
        """Decode one client->server message; raise :class:`CodecError` if malformed."""


def frame_message(frame: Frame) -> dict[str, Any]:
    """Wire protocol v1 ``frame`` message: the full frame (also a diff codec's keyframe)."""
    return {
        "type": "frame",
        "seq": frame.seq,
        "ts": frame.ts,
        "width": frame.width,
        "height": frame.height,
        "lines": frame.rows,
    }


def delta_message(delta: Delta) -> dict[str, Any]:
    """Wire protocol v1 ``delta`` message: changed rows as ``[index, line]``, valid only on frame ``base``."""
    return {
        "type": "delta",
        "seq": delta.seq,
        "base": delta.base,
        "ts": delta.ts,
        "width": delta.width,
        "height": delta.height,
        "rows": delta.rows,
    }
