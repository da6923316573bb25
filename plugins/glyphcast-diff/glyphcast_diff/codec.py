"""``glyphcast.diff.v1``: keyframes (``frame``) and deltas of the rows that changed (``delta``).

Sans-I/O. A delta is valid only on top of frame ``base``; the hub picks the base
per session (the frame that session last received) and caches the bytes per
(codec, base, seq), so every session at the same point shares one encoding.

Payloads are not compressed: measured on the benchmark workloads (see
``benchmarks/``), zlib on a delta saves little on typical ANSI rows while
costing CPU on every frame and a wire-protocol field every client would need.
"""

from __future__ import annotations

from glyphcast import Frame
from glyphcast.protocol import DIFF_SUBPROTOCOL, delta_message
from glyphcast_binary import MsgpackCodec

SUBPROTOCOL = DIFF_SUBPROTOCOL


class DiffCodec(MsgpackCodec):
    """Keyframes + deltas as msgpack maps in binary WebSocket messages."""

    subprotocol = SUBPROTOCOL
    deltas = True

    def encode_delta(self, frame: Frame, base: Frame) -> bytes:
        """A ``delta`` from ``base`` to ``frame``; a keyframe where a delta cannot help.

        Across a resize there is no delta, and when every row changed a delta only
        adds row indexes; a ``frame`` is valid on any base, so send that instead.
        """
        if not frame.same_shape(base):
            return self.encode_frame(frame)
        delta = frame.delta(base)
        if len(delta.rows) == frame.height:
            return self.encode_frame(frame)
        return self.encode(delta_message(delta))
