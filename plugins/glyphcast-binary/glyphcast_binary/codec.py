"""Msgpack wire codecs, sans-I/O: messages and frames in, bytes out; client bytes in, maps out.

Server -> client messages are msgpack maps (``use_bin_type=True``: text rows
travel as msgpack str, so any msgpack decoder yields strings). Clients may send
either msgpack maps (binary WebSocket messages) or JSON text — the viewer sends
JSON text on every codec — and both decode to the same map.
"""

from __future__ import annotations

import json
from typing import Any

import msgpack
from glyphcast import CodecError, Frame
from glyphcast.codec import frame_message

SUBPROTOCOL = "glyphcast.binary.v1"

# The hub caps client messages at 64 KiB before they reach a codec; these limits
# only keep a hostile payload from building huge containers inside that cap.
_UNPACK_LIMITS = {
    "max_str_len": 64 * 1024,
    "max_bin_len": 64 * 1024,
    "max_array_len": 4096,
    "max_map_len": 256,
    "max_ext_len": 0,
}


def _pack(message: dict[str, Any]) -> bytes:
    return msgpack.packb(message, use_bin_type=True)


def _as_message(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CodecError(f"{what} must be a map with a 'type', got {type(value).__name__}")
    kind = value.get("type")
    if not isinstance(kind, str):
        raise CodecError(f"{what} map has no string 'type' field")
    if not all(isinstance(key, str) for key in value):
        raise CodecError(f"{what} map keys must all be strings")
    return value


def decode_client_message(data: bytes | str) -> dict[str, Any]:
    """Decode one client->server message: JSON text, or a msgpack map in a binary message.

    Raises :class:`glyphcast.CodecError` with a one-line reason for anything else.
    """
    if isinstance(data, str):
        try:
            value = json.loads(data)
        except ValueError as error:
            raise CodecError(f"malformed JSON message: {error}") from error
        return _as_message(value, "JSON message")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CodecError(f"cannot decode a {type(data).__name__} message")
    if not data:
        raise CodecError("empty binary message (expected a msgpack map)")
    try:
        value = msgpack.unpackb(data, raw=False, strict_map_key=False, **_UNPACK_LIMITS)
    except (ValueError, msgpack.UnpackException) as error:
        # ExtraData, FormatError, StackError, UnicodeDecodeError and limit errors
        # are all ValueError subclasses or UnpackException.
        raise CodecError(f"malformed msgpack message: {error}") from error
    return _as_message(value, "msgpack message")


class MsgpackCodec:
    """Base for msgpack codecs: binary messages, full frames, JSON-or-msgpack client messages.

    Subclasses set ``subprotocol`` and, for keyframes + deltas, ``deltas = True``
    and override :meth:`encode_delta`.
    """

    subprotocol: str = ""
    binary: bool = True
    deltas: bool = False

    def encode(self, message: dict[str, Any]) -> bytes:
        """Encode one server->client message (``hello``, ``clear``, ``state``, ``pong``, ``error``...)."""
        return _pack(message)

    def encode_frame(self, frame: Frame) -> bytes:
        """A ``frame`` message: the full frame."""
        return _pack(frame_message(frame))

    def encode_delta(self, frame: Frame, base: Frame) -> bytes:
        """Full-frame codecs have no deltas: every update is the full frame."""
        return self.encode_frame(frame)

    def decode(self, data: bytes | str) -> dict[str, Any]:
        """Decode one client->server message; raise :class:`glyphcast.CodecError` if malformed."""
        return decode_client_message(data)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.subprotocol}>"


class BinaryCodec(MsgpackCodec):
    """``glyphcast.binary.v1``: every frame is a full ``frame`` msgpack map."""

    subprotocol = SUBPROTOCOL
