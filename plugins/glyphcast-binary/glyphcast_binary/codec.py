"""Msgpack wire codecs, sans-I/O: messages and frames in, bytes out; client bytes in, values out.

Server -> client messages are msgpack maps (``use_bin_type=True``: text rows
travel as msgpack str, so any msgpack decoder yields strings). A client's
binary frames are msgpack maps; its text frames are JSON and never reach this
codec (the hub decodes them with :func:`glyphcast.protocol.decode_json`).
"""

from __future__ import annotations

import math
from typing import Any

import msgpack
from glyphcast import CodecError, Frame
from glyphcast.protocol import BINARY_SUBPROTOCOL, MAX_CLIENT_MESSAGE, frame_message

SUBPROTOCOL = BINARY_SUBPROTOCOL

# The hub caps client messages at MAX_CLIENT_MESSAGE bytes before they reach a
# codec; these limits keep a hostile payload from building huge containers
# inside that cap. Nesting is bounded by msgpack's own parser stack (StackError).
UNPACK_LIMITS: dict[str, int] = {
    "max_str_len": MAX_CLIENT_MESSAGE,
    "max_bin_len": MAX_CLIENT_MESSAGE,
    "max_array_len": 4096,
    "max_map_len": 256,
    "max_ext_len": 0,
}


def _pack(message: dict[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(message, use_bin_type=True)
    return packed


def _check_json_model(value: Any) -> None:
    """Refuse what JSON cannot say, so the schema sees the same values from either decoder.

    Map keys must be strings, floats finite, and no ``bin`` (bytes). Iterative:
    msgpack allows nesting deeper than Python's recursion limit.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                if not isinstance(key, str):
                    raise CodecError(f"map keys must be strings, got {type(key).__name__}")
                pending.append(inner)
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise CodecError(f"numbers must be finite, got {item}")
        elif isinstance(item, bytes):
            raise CodecError("msgpack bin is not allowed; send text as msgpack str")


def unpack_client_message(data: bytes) -> Any:
    """Decode one client binary frame as msgpack (strict: one value, limits, JSON's data model).

    Raises :class:`glyphcast.CodecError` with a one-line reason for anything else.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CodecError(f"cannot decode a {type(data).__name__} as msgpack")
    if not data:
        raise CodecError("empty binary message (expected a msgpack map)")
    try:
        value = msgpack.unpackb(
            data,
            raw=False,
            max_str_len=UNPACK_LIMITS["max_str_len"],
            max_bin_len=UNPACK_LIMITS["max_bin_len"],
            max_array_len=UNPACK_LIMITS["max_array_len"],
            max_map_len=UNPACK_LIMITS["max_map_len"],
            max_ext_len=UNPACK_LIMITS["max_ext_len"],
        )
    except (ValueError, TypeError, msgpack.UnpackException) as failure:
        # ExtraData, FormatError, StackError (too deep), UnicodeDecodeError, limit
        # errors and keys other than str/bytes (strict_map_key) are ValueError or
        # UnpackException; TypeError covers unhashable keys should strict_map_key
        # ever be relaxed, and payload types unpackb does not take.
        raise CodecError(f"malformed msgpack message: {failure}") from None
    _check_json_model(value)
    return value


class MsgpackCodec:
    """Base for msgpack codecs: binary messages, full frames, msgpack client messages.

    Subclasses set ``subprotocol`` and, for keyframes + deltas, ``deltas = True``
    and override :meth:`encode_delta`.
    """

    subprotocol: str = ""
    deltas: bool = False

    def encode(self, message: dict[str, Any]) -> bytes:
        """Encode one server->client message (``hello``, ``clear``, ``state``, ``pong``, ``error``...)."""
        return _pack(message)

    def encode_frame(self, frame: Frame) -> bytes:
        """A ``frame`` message: the full frame."""
        return _pack(frame_message(frame))

    def encode_delta(self, frame: Frame, base: Frame) -> bytes:
        """Full-frame codecs have no deltas (the hub never asks): a full frame is valid on any base."""
        return self.encode_frame(frame)

    def decode(self, data: bytes) -> Any:
        """Decode one client binary frame; raise :class:`glyphcast.CodecError` if malformed."""
        return unpack_client_message(data)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.subprotocol}>"


class BinaryCodec(MsgpackCodec):
    """``glyphcast.binary.v1``: every frame is a full ``frame`` msgpack map."""

    subprotocol = SUBPROTOCOL
