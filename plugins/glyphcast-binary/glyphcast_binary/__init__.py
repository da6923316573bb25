"""glyphcast-binary: the ``glyphcast.binary.v1`` wire codec (msgpack maps, full frames).

:class:`MsgpackCodec` is also the base of every msgpack codec (``glyphcast-diff``
builds on it), so the msgpack encoding and the client-message decoding live in
one place.
"""

from __future__ import annotations

from glyphcast_binary.codec import (
    SUBPROTOCOL,
    UNPACK_LIMITS,
    BinaryCodec,
    MsgpackCodec,
    unpack_client_message,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "SUBPROTOCOL",
    "UNPACK_LIMITS",
    "BinaryCodec",
    "MsgpackCodec",
    "unpack_client_message",
]
