"""glyphcast.binary.v1 without sockets: what the codec puts on the wire and what it accepts back."""

from __future__ import annotations

import msgpack
import pytest
from glyphcast import Codec, CodecError, Frame
from glyphcast.testing import make_frames
from glyphcast_binary import BinaryCodec, MsgpackCodec


@pytest.fixture
def codec() -> BinaryCodec:
    return BinaryCodec()


def unpack(data: bytes) -> dict:
    return msgpack.unpackb(data, raw=False)


def test_codec_satisfies_the_core_codec_protocol(codec: BinaryCodec) -> None:
    assert isinstance(codec, Codec)
    assert codec.subprotocol == "glyphcast.binary.v1"
    assert codec.deltas is False
    assert isinstance(codec.encode({"type": "clear", "seq": 1}), bytes), "bytes: a binary WebSocket frame"


def test_frame_round_trips_as_a_msgpack_map_with_the_contract_fields(codec: BinaryCodec) -> None:
    frame = Frame(("\x1b[31mred\x1b[0m", "héllo ✓", ""), 12, 3, 7, 1700000000123.5)
    data = codec.encode_frame(frame)
    assert isinstance(data, bytes)
    assert unpack(data) == {
        "type": "frame",
        "seq": 7,
        "ts": 1700000000123.5,
        "width": 12,
        "height": 3,
        "lines": ["\x1b[31mred\x1b[0m", "héllo ✓", ""],
    }


def test_rows_travel_as_msgpack_str_not_bin(codec: BinaryCodec) -> None:
    # use_bin_type=True: a client decoding with raw=True still sees rows typed as str (0xa0-0xbf/0xd9..),
    # so a JS decoder yields strings, not Uint8Arrays.
    data = codec.encode_frame(Frame(("abc",), 3, 1, 1, 0.0))
    decoded = msgpack.unpackb(data, raw=True)
    assert decoded[b"lines"] == [b"abc"]
    assert b"\xa3abc" in data  # fixstr of length 3


def test_every_frame_is_full_even_when_asked_for_a_delta(codec: BinaryCodec) -> None:
    base, frame = list(make_frames(2))
    assert unpack(codec.encode_delta(frame, base)) == unpack(codec.encode_frame(frame))


@pytest.mark.parametrize(
    "message",
    [
        {
            "type": "hello",
            "protocol": 1,
            "server": "glyphcast",
            "codec": "glyphcast.binary.v1",
            "width": 80,
            "height": 24,
            "role": "viewer",
        },
        {"type": "clear", "seq": 3},
        {"type": "state", "state": {"effect": "fire", "nested": [1, 2.5, None, True]}},
        {"type": "pong", "ts": 12.5, "server_ts": 1700000000000.0},
        {"type": "error", "code": "bad-message", "message": "unknown type 'x'"},
    ],
)
def test_other_server_messages_are_msgpack_maps(codec: BinaryCodec, message: dict) -> None:
    data = codec.encode(message)
    assert isinstance(data, bytes)
    assert unpack(data) == message


@pytest.mark.parametrize(
    "message",
    [
        {"type": "hello", "client": "test", "viewport": {"width": 80, "height": 24}},
        {"type": "ping", "ts": 5.25},
        {"type": "resync"},
        {"type": "input", "data": "q\x1b[A"},
        {"type": "command", "command": {"nested": [1, None, True, "x"]}},
    ],
)
def test_client_messages_decode_from_msgpack(codec: BinaryCodec, message: dict) -> None:
    assert codec.decode(msgpack.packb(message, use_bin_type=True)) == message


@pytest.mark.parametrize("value", [[1, 2, 3], 42, {"ts": 1}, {"type": 5}])
def test_decode_returns_any_value_and_leaves_the_message_schema_to_the_hub(
    codec: BinaryCodec, value: object
) -> None:
    assert codec.decode(msgpack.packb(value)) == value


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty binary message"),
        (b"\xc1", "malformed msgpack"),  # 0xc1 is never used in msgpack
        (b"\x81\xa4type", "malformed msgpack"),  # truncated map
        (msgpack.packb({"type": "ping"}) + b"\x01", "malformed msgpack"),  # trailing bytes
        (msgpack.packb({"type": "ping", 1: 2}, strict_types=False), "malformed msgpack"),  # int key
        (b"\x82\xa4type\xa4ping\x91\x01\x02", "malformed msgpack"),  # a list as a key (unhashable)
        (msgpack.packb({"type": "ping", b"ts": 1}, use_bin_type=True), "keys must be strings"),
        (msgpack.packb({"type": "x", "deep": {"k": {b"k": 1}}}, use_bin_type=True), "keys must be strings"),
        (b"\xa2\xff\xfe", "malformed msgpack"),  # str that is not UTF-8
        (msgpack.packb(msgpack.ExtType(1, b"x")), "malformed msgpack"),
        (b"\x91" * 5000 + b"\x00", "malformed msgpack"),  # nested deeper than msgpack's stack
        (msgpack.packb({"type": "ping", "ts": float("nan")}), "finite"),
        (msgpack.packb({"type": "ping", "ts": [float("-inf")]}), "finite"),
        (msgpack.packb({"type": "input", "data": b"raw"}, use_bin_type=True), "bin is not allowed"),
    ],
)
def test_malformed_client_messages_raise_codec_error_with_a_reason(
    codec: BinaryCodec, data: bytes, reason: str
) -> None:
    with pytest.raises(CodecError, match=reason):
        codec.decode(data)


def test_text_is_not_the_codecs_job(codec: BinaryCodec) -> None:
    # Text frames are JSON for every codec and decoded by glyphcast.protocol.decode_json.
    with pytest.raises(CodecError):
        codec.decode('{"type": "ping"}')  # type: ignore[arg-type]


def test_an_oversized_container_inside_a_small_message_is_refused(codec: BinaryCodec) -> None:
    message = {"type": "command", "command": list(range(10_000))}
    with pytest.raises(CodecError, match="malformed msgpack"):
        codec.decode(msgpack.packb(message))


def test_nesting_deeper_than_the_recursion_limit_is_checked_without_recursing(codec: BinaryCodec) -> None:
    # 900 levels: within msgpack's parser stack, beyond what a recursive walk may use comfortably.
    data = b"\x81\xa1k" * 900 + b"\x81\xc4\x01k\x01"  # innermost map has a bin key
    with pytest.raises(CodecError, match="keys must be strings"):
        codec.decode(data)


def test_msgpack_codec_base_is_shared_not_copied() -> None:
    # glyphcast-diff builds on this base; the binary codec adds nothing but its name.
    assert issubclass(BinaryCodec, MsgpackCodec)
    assert set(vars(BinaryCodec)) - {"__module__", "__doc__", "__qualname__"} == {"subprotocol"}
