"""The codec contract's extensions, without sockets: ``encode`` may return None (nothing to
send) or several messages, ``resize_deltas`` turns a resize into an ``encode_delta``, and
``one_way`` says that nobody controls through the codec (no control link).

They exist for codecs that speak another project's stream format (asciinema's ALiS and
asciicast, in glyphcast-asciinema); the codecs glyphcast ships use neither, and get what
they got before.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest
from glyphcast import Frame, hookimpl
from glyphcast.codec import Encoded, one_way
from glyphcast.plugins import load_registry, reset_registry
from glyphcast.testing import make_frames
from glyphcast_json import JsonCodec
from glyphcast_websocket import HubDisplay
from glyphcast_websocket.delivery import NOTHING, EncodeCache, Outbox, Wire
from glyphcast_websocket.testing import CONTROL_TOKEN
from websockets.frames import Frame as WireFrame
from websockets.frames import Opcode

pytestmark = pytest.mark.timeout(60)


class EventCodec:
    """Like an asciinema codec: a header for hello, an event per update, nothing for most messages."""

    subprotocol = "test.events.v1"
    deltas = True

    def __init__(self, resize_deltas: bool = False) -> None:
        self.resize_deltas = resize_deltas
        self.calls: list[tuple[str, int | None, int]] = []

    def encode(self, message: dict[str, Any]) -> Encoded | None:
        if message["type"] == "hello":
            return json.dumps({"header": [message["width"], message["height"]]})
        if message["type"] == "end":
            return b"\x04"
        return None  # pong, error, state, clear, ...: this format has no place for them

    def encode_frame(self, frame: Frame) -> Encoded:
        self.calls.append(("frame", None, frame.seq))
        return [json.dumps(["size", frame.width, frame.height]), json.dumps(["paint", frame.seq])]

    def encode_delta(self, frame: Frame, base: Frame) -> Encoded:
        self.calls.append(("delta", base.seq, frame.seq))
        if not frame.same_shape(base):
            return (json.dumps(["resize", frame.width, frame.height]), json.dumps(["paint", frame.seq]))
        return json.dumps(["update", base.seq, frame.seq])

    def decode(self, data: bytes) -> Any:
        raise ValueError("one-way")


def messages(wire: Wire | None) -> list[Any]:
    """The messages a client reads from ``wire``, parsed back out of the framed bytes."""
    assert wire is not None
    out, data = [], wire.framed
    while data:
        length, start = data[1] & 0x7F, 2
        if length == 126:
            length, start = int.from_bytes(data[2:4], "big"), 4
        out.append(json.loads(data[start : start + length]))
        data = data[start + length :]
    return out


def test_several_messages_are_framed_back_to_back_in_one_wire() -> None:
    wire = Wire.of(["a", b"\x01", "b"])
    single = [Wire.of("a"), Wire.of(b"\x01"), Wire.of("b")]
    assert wire.framed == b"".join(w.framed for w in single)
    assert wire.payload == b"a\x01b" and len(wire.parts) == 3
    assert Wire.of(("x",)).framed == Wire.of("x").framed  # one message stays one plain wire
    assert Wire.of([]) is NOTHING and Wire.of(None) is NOTHING and not NOTHING.framed


def test_several_messages_are_deflated_each_on_its_own() -> None:
    text = "x" * 300
    wire = Wire.of([text, text])
    one = Wire.of(text).deflated(15)
    assert wire.deflated(15) == one + one  # RFC 7692: compression is per message
    header = WireFrame(Opcode.TEXT, b"").serialize(mask=False, extensions=[])[:1]
    assert one[0] == header[0] | 0x40  # RSV1: this message is compressed
    assert one[1] < 126  # a short compressed payload: a two-byte header
    assert zlib.decompressobj(-15).decompress(one[2:] + b"\x00\x00\xff\xff") == text.encode()


def test_a_message_the_codec_encodes_to_none_is_skipped() -> None:
    cache, outbox = EncodeCache(), Outbox(EventCodec())
    frame = next(make_frames(1))
    outbox.reply({"type": "hello", "width": 20, "height": 5})
    outbox.reply({"type": "pong", "ts": 1.0, "server_ts": 2.0})
    outbox.broadcast_state({"stage": 1})
    assert messages(outbox.next(frame, cache)) == [{"header": [20, 5]}]
    assert messages(outbox.next(frame, cache)) == [["size", 20, 5], ["paint", 1]]  # pong, state: nothing
    assert outbox.next(frame, cache) is None


def test_a_clear_the_codec_has_no_place_for_still_forces_a_keyframe() -> None:
    codec = EventCodec()
    cache, outbox = EncodeCache(), Outbox(codec)
    frames = list(make_frames(3))
    outbox.next(frames[0], cache)
    outbox.cleared(Wire.of(codec.encode({"type": "clear", "seq": 1})))
    assert outbox.next(None, cache) is None
    assert messages(outbox.next(frames[2], cache))[0] == ["size", 20, 5]


def test_an_end_the_codec_sends_nothing_for_still_ends_the_session() -> None:
    cache, outbox = EncodeCache(), Outbox(JsonCodec())
    frame = next(make_frames(1))
    outbox.next(frame, cache)
    outbox.end(NOTHING)
    assert outbox.pending(frame)
    assert outbox.next(frame, cache) is None
    assert outbox.ended  # the hub closes it with 1000


def test_with_resize_deltas_a_resize_is_a_delta_from_the_frame_the_session_has() -> None:
    codec = EventCodec(resize_deltas=True)
    cache, outbox = EncodeCache(), Outbox(codec)
    frame = next(make_frames(1))
    wider = Frame(frame.rows, frame.width + 10, frame.height, 2, frame.ts + 40)
    outbox.next(frame, cache)
    assert messages(outbox.next(wider, cache)) == [["resize", 30, 5], ["paint", 2]]
    assert codec.calls == [("frame", None, 1), ("delta", 1, 2)]
    assert outbox.stats.deltas == 1 and outbox.stats.keyframes == 1


def test_without_resize_deltas_a_resize_is_a_keyframe_as_before() -> None:
    codec = EventCodec()
    cache, outbox = EncodeCache(), Outbox(codec)
    frame = next(make_frames(1))
    outbox.next(frame, cache)
    outbox.next(Frame(frame.rows, frame.width + 10, frame.height, 2, frame.ts), cache)
    assert codec.calls == [("frame", None, 1), ("frame", None, 2)]


def test_sessions_at_the_same_point_share_one_multi_message_wire() -> None:
    codec = EventCodec(resize_deltas=True)
    cache = EncodeCache()
    frame = next(make_frames(1))
    wider = Frame(frame.rows, frame.width + 1, frame.height, 2, frame.ts)
    sessions = [Outbox(codec) for _ in range(20)]
    for outbox in sessions:
        outbox.next(frame, cache)
    wires = [outbox.next(wider, cache) for outbox in sessions]
    assert all(w is wires[0] for w in wires)
    assert codec.calls == [("frame", None, 1), ("delta", 1, 2)]


def test_a_presence_the_codec_has_no_form_for_is_skipped() -> None:
    cache, outbox = EncodeCache(), Outbox(EventCodec())
    frame = next(make_frames(1))
    outbox.presence(
        Wire.of(EventCodec().encode({"type": "presence", "viewers": 2, "controllers": 0})), (2, 0)
    )
    assert messages(outbox.next(frame, cache))[0] == ["size", 20, 5]
    assert outbox.presence_counts == (
        2,
        0,
    )  # counted as sent: no presence is queued again for the same counts


class PlayerCodec(EventCodec):
    """A format whose clients only watch (as asciinema-player's)."""

    subprotocol = "test.player.v1"
    one_way = True


class RegistersPlayerCodec:
    @hookimpl
    def register_codecs(self, register: Any) -> None:
        register(PlayerCodec())


def test_one_way_is_every_codec_one_way_and_never_an_empty_list() -> None:
    assert one_way([PlayerCodec(), PlayerCodec()])
    assert not one_way([PlayerCodec(), JsonCodec()]) and not one_way([EventCodec()]) and not one_way([])


def test_a_display_with_only_one_way_codecs_offers_its_player_page_and_no_control_link() -> None:
    reset_registry(load_registry(extra_plugins=[("player-codec", RegistersPlayerCodec())]))
    try:
        alone = HubDisplay(port=0, codecs=["test.player.v1"], control_token=CONTROL_TOKEN)
        assert alone.controller_url is None and alone.url == "http://127.0.0.1:0/player"
        mixed = HubDisplay(
            port=0, codecs=["test.player.v1", "glyphcast.json.v1"], control_token=CONTROL_TOKEN
        )
        assert mixed.controller_url == f"http://127.0.0.1:0/#control={CONTROL_TOKEN}" and mixed.url.endswith(
            ":0/"
        )
    finally:
        reset_registry()
