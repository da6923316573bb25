"""glyphcast.diff.v1 without sockets: keyframes, deltas, and a client rebuilding frames from them."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest
from glyphcast import Codec, CodecError, Delta, Frame
from glyphcast.testing import make_frames
from glyphcast_binary import MsgpackCodec
from glyphcast_diff import DiffCodec
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.fixture
def codec() -> DiffCodec:
    return DiffCodec()


def unpack(data: bytes) -> dict[str, Any]:
    return msgpack.unpackb(data, raw=False)


def apply(current: Frame | None, message: dict[str, Any]) -> Frame:
    """What a diff client does with a frame/delta message (refusing a delta on the wrong base)."""
    if message["type"] == "frame":
        return Frame(
            tuple(message["lines"]), message["width"], message["height"], message["seq"], message["ts"]
        )
    assert message["type"] == "delta"
    assert current is not None
    delta = Delta(
        message["seq"],
        message["base"],
        message["ts"],
        message["width"],
        message["height"],
        tuple((i, line) for i, line in message["rows"]),
    )
    return delta.apply(current)


def test_codec_satisfies_the_core_codec_protocol(codec: DiffCodec) -> None:
    assert isinstance(codec, Codec)
    assert isinstance(codec, MsgpackCodec)
    assert codec.subprotocol == "glyphcast.diff.v1"
    assert codec.deltas is True
    assert isinstance(codec.encode({"type": "clear", "seq": 1}), bytes)


def test_keyframe_is_a_full_frame_message(codec: DiffCodec) -> None:
    frame = Frame(("a", "b"), 4, 2, 3, 99.5)
    assert unpack(codec.encode_frame(frame)) == {
        "type": "frame",
        "seq": 3,
        "ts": 99.5,
        "width": 4,
        "height": 2,
        "lines": ["a", "b"],
    }


def test_delta_carries_only_the_changed_rows_with_their_base(codec: DiffCodec) -> None:
    base = Frame(("aa", "bb", "cc", "dd"), 2, 4, 10, 1.0)
    frame = Frame(("aa", "BB", "cc", "\x1b[1mD\x1b[0m"), 2, 4, 11, 2.0)
    assert unpack(codec.encode_delta(frame, base)) == {
        "type": "delta",
        "seq": 11,
        "base": 10,
        "ts": 2.0,
        "width": 2,
        "height": 4,
        "rows": [[1, "BB"], [3, "\x1b[1mD\x1b[0m"]],
    }


def test_unchanged_frame_is_an_empty_delta_not_a_keyframe(codec: DiffCodec) -> None:
    base = Frame(("x", "y"), 1, 2, 1, 1.0)
    frame = Frame(("x", "y"), 1, 2, 2, 2.0)
    message = unpack(codec.encode_delta(frame, base))
    assert message["type"] == "delta"
    assert message["rows"] == []
    assert message["base"] == 1


def test_delta_across_a_resize_is_a_keyframe(codec: DiffCodec) -> None:
    base = Frame(("ab", "cd"), 2, 2, 1, 1.0)
    frame = Frame(("abc", "def", "ghi"), 3, 3, 2, 2.0)
    message = unpack(codec.encode_delta(frame, base))
    assert message["type"] == "frame"
    assert message["lines"] == ["abc", "def", "ghi"]


def test_when_every_row_changed_a_keyframe_is_sent_instead(codec: DiffCodec) -> None:
    base = Frame(("a", "b"), 1, 2, 1, 1.0)
    frame = Frame(("c", "d"), 1, 2, 2, 2.0)
    keyframe = codec.encode_delta(frame, base)
    assert unpack(keyframe)["type"] == "frame"
    assert keyframe == codec.encode_frame(frame)


def test_ticker_delta_is_a_small_fraction_of_the_keyframe(codec: DiffCodec) -> None:
    frames = list(make_frames(3, width=80, height=24))
    delta, keyframe = codec.encode_delta(frames[2], frames[1]), codec.encode_frame(frames[2])
    assert len(delta) * 10 < len(keyframe)


def test_client_rebuilds_each_frame_from_a_keyframe_and_deltas(codec: DiffCodec) -> None:
    frames = list(make_frames(40, width=30, height=6))
    shown = apply(None, unpack(codec.encode_frame(frames[0])))
    assert shown == frames[0]
    for base, frame in zip(frames, frames[1:], strict=False):
        shown = apply(shown, unpack(codec.encode_delta(frame, base)))
        assert shown == frame


def test_a_delta_on_the_wrong_base_is_refused_by_the_client_rule(codec: DiffCodec) -> None:
    frames = list(make_frames(3))
    message = unpack(codec.encode_delta(frames[2], frames[1]))
    with pytest.raises(ValueError, match="applies to frame 2"):
        apply(frames[0], message)


def test_client_messages_decode_like_the_binary_codec(codec: DiffCodec) -> None:
    assert codec.decode(msgpack.packb({"type": "resync"})) == {"type": "resync"}
    with pytest.raises(CodecError, match="malformed msgpack"):
        codec.decode(b"\xc1")
    with pytest.raises(CodecError, match="keys must be strings"):
        codec.decode(msgpack.packb({"type": "resync", b"k": 1}, use_bin_type=True))


rows = st.text(alphabet=st.sampled_from("ab \x1b[0123456789m✓"), max_size=8)


@settings(max_examples=50, deadline=None)
@given(
    height=st.integers(1, 6),
    data=st.data(),
)
def test_any_base_to_any_frame_rebuilds_exactly(height: int, data: st.DataObject) -> None:
    codec = DiffCodec()
    # Sessions get deltas from whatever frame they last received, not only the previous one.
    base_rows = data.draw(st.lists(rows, min_size=height, max_size=height))
    new_rows = data.draw(st.lists(rows, min_size=height, max_size=height))
    base = Frame(tuple(base_rows), 8, height, 5, 1.0)
    frame = Frame(tuple(new_rows), 8, height, 9, 2.0)
    assert apply(base, unpack(codec.encode_delta(frame, base))) == frame
