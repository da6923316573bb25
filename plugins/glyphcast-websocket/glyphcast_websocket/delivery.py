"""What each session gets next, and the encoded bytes sessions share (sans-I/O).

No sockets and no event loop here: the hub asks an :class:`Outbox` for the next
message whenever that session's socket can take one, and the outbox answers
from the newest frame. Latest-wins falls out of that: a session that was busy
while frames 5, 6 and 7 were shown is asked once, and gets 7 (or, for a diff
codec, the delta from exactly the frame it has to 7).

:class:`EncodeCache` makes "encode once" true: every session at the same point
(same codec, same base, same frame) gets the same :class:`Wire` object, already
framed as a server->client WebSocket frame, so the hub writes the same bytes to
each transport.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from glyphcast import Codec, Frame, protocol
from glyphcast.codec import Encoded
from glyphcast.protocol import ProducerState
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame as WireFrame
from websockets.frames import Opcode


def _deflater(window_bits: int) -> PerMessageDeflate:
    """RFC 7692 compression of server messages, each on its own (no context takeover), in a
    ``2**window_bits`` window. With no context kept between messages, one instance gives
    every session the same bytes for the same message."""
    deflater = _DEFLATERS.get(window_bits)
    if deflater is None:
        deflater = _DEFLATERS[window_bits] = PerMessageDeflate(False, True, 15, window_bits)
    return deflater


_DEFLATERS: dict[int, PerMessageDeflate] = {}


class Wire:
    """One encoded message: its payload and the complete unmasked WebSocket frame carrying it.

    Server->client frames are not masked, so ``framed`` is byte for byte what
    every session at this point must receive; a session that negotiated
    permessage-deflate gets :meth:`deflated` instead, compressed once per
    window size (the hub asks for no context takeover, so the compressed
    bytes do not depend on what the session was sent before).

    A codec may return several messages for one point (``parts``): ``framed``
    is then their frames back to back, and ``payload`` their payloads joined
    (for byte counts). :data:`NOTHING` (no bytes) is a message the codec does
    not send.
    """

    __slots__ = ("payload", "text", "framed", "parts", "_deflated")

    def __init__(self, payload: bytes, text: bool, framed: bytes, parts: tuple[Wire, ...] = ()) -> None:
        self.payload = payload
        self.text = text
        self.framed = framed
        self.parts = parts
        self._deflated: dict[int, bytes] | None = None

    @classmethod
    def of(cls, encoded: Encoded | None) -> Wire:
        """Wrap what a codec returned: ``str`` goes out as a text frame, ``bytes`` as binary, a list or
        tuple as those messages in order, None as :data:`NOTHING`."""
        if isinstance(encoded, str):
            text, payload = True, encoded.encode("utf-8")
        elif isinstance(encoded, bytes | bytearray | memoryview):
            text, payload = False, bytes(encoded)
        elif encoded is None:
            return NOTHING
        else:
            return cls.several([cls.of(message) for message in encoded])
        framed = WireFrame(Opcode.TEXT if text else Opcode.BINARY, payload).serialize(
            mask=False, extensions=[]
        )
        return cls(payload, text, framed)

    @classmethod
    def several(cls, parts: list[Wire]) -> Wire:
        """Messages sent back to back, as one unit (one write, one cache entry)."""
        parts = [part for part in parts if part.framed]
        if len(parts) <= 1:
            return parts[0] if parts else NOTHING
        return cls(
            b"".join(p.payload for p in parts), parts[0].text, b"".join(p.framed for p in parts), tuple(parts)
        )

    def deflated(self, window_bits: int = 15) -> bytes:
        """This frame for a session with permessage-deflate: compressed (RSV1 set), or, when
        compressing would not make it smaller, ``framed`` as is (RFC 7692 allows either per message)."""
        if self.parts:  # each message is compressed on its own, as the extension frames them
            return b"".join(part.deflated(window_bits) for part in self.parts)
        cache = self._deflated
        if cache is None:
            cache = self._deflated = {}
        framed = cache.get(window_bits)
        if framed is None:
            opcode = Opcode.TEXT if self.text else Opcode.BINARY
            compressed = WireFrame(opcode, self.payload).serialize(
                mask=False, extensions=[_deflater(window_bits)]
            )
            framed = cache[window_bits] = compressed if len(compressed) < len(self.framed) else self.framed
            DEFLATE_STATS.compressions += 1
        return framed

    def __len__(self) -> int:
        return len(self.framed)


#: What a codec's ``encode`` returns None for: nothing to send (no bytes; the outbox skips it).
NOTHING = Wire(b"", False, b"")


@dataclass(slots=True)
class DeflateStats:
    """How many times a message was compressed (once per message and window size, however many sessions)."""

    compressions: int = 0


DEFLATE_STATS = DeflateStats()


@dataclass(slots=True)
class CacheStats:
    encodes: int = 0
    hits: int = 0


class EncodeCache:
    """Encoded frames and deltas keyed by (codec, base seq, seq), for the newest frame only.

    Sessions are only ever given the newest frame, so entries for older frames
    are dropped as soon as a newer one is asked for: the cache holds at most one
    entry per (codec, base) among the sessions, never a history.
    """

    def __init__(self) -> None:
        self._seq: int | None = None
        self._entries: dict[tuple[str, int | None, int], Wire] = {}
        self.stats = CacheStats()

    def _lookup(self, key: tuple[str, int | None, int]) -> Wire | None:
        if key[2] != self._seq:
            self._entries.clear()
            self._seq = key[2]
        wire = self._entries.get(key)
        if wire is not None:
            self.stats.hits += 1
        return wire

    def _store(self, key: tuple[str, int | None, int], wire: Wire) -> Wire:
        self.stats.encodes += 1
        self._entries[key] = wire
        return wire

    def frame(self, codec: Codec, frame: Frame) -> Wire:
        """The full ``frame`` message (a keyframe for diff codecs)."""
        key = (codec.subprotocol, None, frame.seq)
        return self._lookup(key) or self._store(key, Wire.of(codec.encode_frame(frame)))

    def delta(self, codec: Codec, frame: Frame, base: Frame) -> Wire:
        """The ``delta`` message from ``base`` to ``frame`` (same shape, unless the codec has ``resize_deltas``)."""
        key = (codec.subprotocol, base.seq, frame.seq)
        return self._lookup(key) or self._store(key, Wire.of(codec.encode_delta(frame, base)))

    def __len__(self) -> int:
        return len(self._entries)


class ReplyOverflow(RuntimeError):
    """A client keeps sending requests but does not read the replies."""


@dataclass(slots=True)
class OutboxStats:
    frames: int = 0
    deltas: int = 0
    skipped: int = 0
    keyframes: int = 0
    #: ``resync`` requests: the client lost track of the frames (its next frame is a keyframe).
    resyncs: int = 0


@dataclass(slots=True)
class Outbox:
    """The "what does this session get next" decision for one session.

    Order: replies and notices first (hello, pong, error, clear, ... in the
    order they were queued), then the newest broadcast ``state``, the
    newest ``presence`` and the newest ``producer`` (latest wins, each), then the newest frame if the
    session does not have it yet, and last, once the stream ended, ``end``
    (after the final frame, never before it).
    ``shown`` is the frame the client has on screen: a diff codec's delta is
    always computed from exactly that frame. A message the codec encodes to
    :data:`NOTHING` is skipped.
    """

    codec: Codec
    max_replies: int = 256
    shown: Frame | None = None
    keyframe_due: bool = True
    replies: deque[Wire | dict[str, Any]] = field(default_factory=deque)
    state: dict[str, Any] | None = None
    stats: OutboxStats = field(default_factory=OutboxStats)
    #: The newest ``presence`` not yet sent, and the counts it carries (kept once sent: what the client has).
    presence_notice: Wire | None = None
    presence_counts: tuple[int, int] | None = None
    #: The newest ``producer`` not yet sent, and the state it carries (kept once sent: what the client has;
    #: a client assumes "live" until told otherwise).
    producer_notice: Wire | None = None
    producer_state: ProducerState = protocol.PRODUCER_LIVE
    #: The ``end`` notice, waiting for the session to be up to date; ``ended`` once it went out.
    ending: Wire | None = None
    ended: bool = False
    #: The codec's ``resize_deltas``: a resize is an ``encode_delta`` (a resize event), not a keyframe.
    resize_deltas: bool = field(init=False)

    def __post_init__(self) -> None:
        self.resize_deltas = bool(getattr(self.codec, "resize_deltas", False))

    def reply(self, message: dict[str, Any] | Wire) -> None:
        """Queue a message for this session only (encoded lazily, with its codec)."""
        if len(self.replies) >= self.max_replies:
            raise ReplyOverflow(f"{len(self.replies)} replies are waiting to be read")
        self.replies.append(message)

    def broadcast_state(self, state: dict[str, Any]) -> None:
        """A newer broadcast state replaces one not yet sent: a slow client gets the newest."""
        self.state = state

    def presence(self, notice: Wire, counts: tuple[int, int]) -> None:
        """A newer ``presence`` (``notice``, carrying ``counts``) replaces one not yet sent."""
        self.presence_notice = notice
        self.presence_counts = counts

    def producer(self, notice: Wire, state: ProducerState) -> None:
        """A newer ``producer`` (``notice``, carrying ``state``) replaces one not yet sent."""
        self.producer_notice = notice
        self.producer_state = state

    def resync(self) -> None:
        """The client lost track: its next frame is a keyframe."""
        self.keyframe_due = True
        self.stats.resyncs += 1

    def cleared(self, notice: Wire | dict[str, Any]) -> None:
        """The screen was blanked: send ``notice`` (a ``clear``), then a keyframe for the next frame."""
        self.replies.append(notice)
        self.shown = None
        self.keyframe_due = True

    def end(self, notice: Wire) -> None:
        """The stream ended: send ``notice`` (an ``end``) once everything before it is sent."""
        if not self.ended:
            self.ending = notice

    def pending(self, latest: Frame | None) -> bool:
        """Whether :meth:`next` would return something."""
        return (
            bool(self.replies)
            or self.state is not None
            or self.presence_notice is not None
            or self.producer_notice is not None
            or self._frame_due(latest)
            or self.ending is not None
        )

    def _frame_due(self, latest: Frame | None) -> bool:
        if latest is None:
            return False
        return self.keyframe_due or self.shown is None or self.shown.seq != latest.seq

    def next(self, latest: Frame | None, cache: EncodeCache) -> Wire | None:
        """The next message for this session, or None if it is up to date."""
        while self.replies:
            item = self.replies.popleft()
            wire = item if isinstance(item, Wire) else Wire.of(self.codec.encode(item))
            if wire.framed:
                return wire
        if self.state is not None:
            state, self.state = self.state, None
            wire = Wire.of(self.codec.encode(protocol.state(state)))
            if wire.framed:
                return wire
        if self.presence_notice is not None:
            wire, self.presence_notice = self.presence_notice, None
            if wire.framed:
                return wire
        if self.producer_notice is not None:
            wire, self.producer_notice = self.producer_notice, None
            if wire.framed:
                return wire
        if latest is None or not self._frame_due(latest):
            if self.ending is None:
                return None
            wire, self.ending, self.ended = self.ending, None, True
            return wire if wire.framed else None  # ended either way: the hub closes with 1000
        shown = self.shown
        if shown is not None and latest.seq > shown.seq + 1:
            self.stats.skipped += latest.seq - shown.seq - 1
        if (
            self.codec.deltas
            and not self.keyframe_due
            and shown is not None
            and (shown.same_shape(latest) or self.resize_deltas)
        ):
            wire = cache.delta(self.codec, latest, shown)
            self.stats.deltas += 1
        else:
            wire = cache.frame(self.codec, latest)
            self.stats.keyframes += 1
        self.stats.frames += 1
        self.shown = latest
        self.keyframe_due = False
        return wire
