"""The "what does this session get next" decision and the encode cache, without sockets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from glyphcast import Frame
from glyphcast.testing import make_frames
from glyphcast_json import JsonCodec
from glyphcast_websocket.delivery import EncodeCache, Outbox, ReplyOverflow, Wire
from hypothesis import given
from hypothesis import strategies as st
from websockets.frames import Frame as WireFrame
from websockets.frames import Opcode

pytestmark = pytest.mark.timeout(60)


class RowsCodec:
    """A minimal diff-capable codec: JSON, deltas carry the base and changed rows."""

    subprotocol = "test.rows.v1"
    binary = False
    deltas = True

    def __init__(self) -> None:
        self.encoded: list[tuple[int | None, int]] = []

    def encode(self, message: dict[str, Any]) -> str:
        return json.dumps(message)

    def encode_frame(self, frame: Frame) -> str:
        self.encoded.append((None, frame.seq))
        return json.dumps({"type": "frame", "seq": frame.seq, "lines": list(frame.rows)})

    def encode_delta(self, frame: Frame, base: Frame) -> str:
        self.encoded.append((base.seq, frame.seq))
        delta = frame.delta(base)
        return json.dumps({"type": "delta", "seq": frame.seq, "base": base.seq, "rows": delta.rows})

    def decode(self, data: bytes | str) -> dict[str, Any]:
        return dict(json.loads(data))


def msg(wire: Wire | None) -> dict[str, Any]:
    assert wire is not None
    return dict(json.loads(wire.payload))


def test_wire_is_exactly_the_websocket_frame_the_server_would_send() -> None:
    wire = Wire.of("héllo")
    assert wire.text and wire.payload == "héllo".encode()
    assert wire.framed == WireFrame(Opcode.TEXT, "héllo".encode()).serialize(mask=False, extensions=[])
    assert Wire.of(b"\x00\x01").framed[0] == 0x82  # FIN + binary opcode


def test_a_session_gets_hello_before_any_frame_then_the_newest_frame_only() -> None:
    cache, outbox = EncodeCache(), Outbox(JsonCodec())
    frames = list(make_frames(5))
    outbox.reply({"type": "hello"})
    assert msg(outbox.next(frames[2], cache))["type"] == "hello"
    assert msg(outbox.next(frames[4], cache))["seq"] == 5  # frames 1..4 were never due
    assert outbox.next(frames[4], cache) is None  # up to date: nothing more
    assert not outbox.pending(frames[4])


def test_latest_wins_a_busy_session_skips_to_the_newest_frame() -> None:
    cache, outbox = EncodeCache(), Outbox(JsonCodec())
    frames = list(make_frames(10))
    assert msg(outbox.next(frames[0], cache))["seq"] == 1
    # frames 2..9 were shown while the socket was full: only the newest is due
    assert msg(outbox.next(frames[9], cache))["seq"] == 10
    assert outbox.stats.skipped == 8
    assert outbox.stats.frames == 2


def test_diff_session_gets_a_delta_from_exactly_the_frame_it_has() -> None:
    codec = RowsCodec()
    cache, outbox = EncodeCache(), Outbox(codec)
    frames = list(make_frames(6))
    first = msg(outbox.next(frames[0], cache))
    assert first["type"] == "frame"  # keyframe on join
    delta = msg(outbox.next(frames[4], cache))
    assert (delta["type"], delta["base"], delta["seq"]) == ("delta", 1, 5)
    rebuilt = frames[4].delta(frames[0]).apply(frames[0])
    assert rebuilt.rows == frames[4].rows


def test_resync_clear_and_a_new_shape_each_force_a_keyframe() -> None:
    codec = RowsCodec()
    cache, outbox = EncodeCache(), Outbox(codec)
    frames = list(make_frames(4))
    outbox.next(frames[0], cache)
    outbox.resync()
    assert msg(outbox.next(frames[1], cache))["type"] == "frame"
    assert msg(outbox.next(frames[2], cache))["type"] == "delta"
    outbox.cleared(Wire.of(json.dumps({"type": "clear", "seq": 3})))
    assert msg(outbox.next(None, cache))["type"] == "clear"
    assert outbox.next(None, cache) is None  # a clear leaves nothing to show
    assert msg(outbox.next(frames[3], cache))["type"] == "frame"
    wider = Frame(frames[3].rows, 30, frames[3].height, 5, 0.0)
    assert msg(outbox.next(wider, cache))["type"] == "frame"


def test_a_resync_without_a_new_frame_resends_the_current_one_as_keyframe() -> None:
    cache, outbox = EncodeCache(), Outbox(RowsCodec())
    frame = next(make_frames(1))
    outbox.next(frame, cache)
    assert outbox.next(frame, cache) is None
    outbox.resync()
    assert msg(outbox.next(frame, cache)) == {"type": "frame", "seq": 1, "lines": list(frame.rows)}


def test_sessions_at_the_same_point_share_one_encoding() -> None:
    codec = RowsCodec()
    cache = EncodeCache()
    frames = list(make_frames(3))
    sessions = [Outbox(codec) for _ in range(50)]
    for outbox in sessions:
        outbox.next(frames[0], cache)
    wires = [outbox.next(frames[2], cache) for outbox in sessions]
    assert all(w is wires[0] for w in wires)  # the very same bytes object for everyone
    assert codec.encoded == [(None, 1), (1, 3)]
    assert cache.stats.encodes == 2 and cache.stats.hits == 98


def test_encode_cache_keeps_only_the_newest_frame() -> None:
    codec = RowsCodec()
    cache = EncodeCache()
    frames = list(make_frames(5))
    for frame in frames:
        cache.frame(codec, frame)
        cache.delta(codec, frame, frames[0])
    assert len(cache) == 2  # keyframe + one delta for frame 5, nothing older


def test_broadcast_state_is_latest_wins_and_replies_are_bounded() -> None:
    cache, outbox = EncodeCache(), Outbox(JsonCodec(), max_replies=3)
    outbox.broadcast_state({"n": 1})
    outbox.broadcast_state({"n": 2})
    assert msg(outbox.next(None, cache)) == {"type": "state", "state": {"n": 2}}
    assert outbox.next(None, cache) is None
    for _ in range(3):
        outbox.reply({"type": "pong"})
    with pytest.raises(ReplyOverflow):
        outbox.reply({"type": "pong"})


@given(
    steps=st.lists(
        st.tuples(
            st.booleans(),  # the engine shows a new frame
            st.sampled_from(["read", "stall", "resync", "clear"]),
            st.lists(st.tuples(st.integers(0, 3), st.text(max_size=3)), max_size=3),
            st.booleans(),  # the frame is wider (a shape change)
        ),
        max_size=60,
    )
)
def test_property_a_diff_client_always_shows_a_frame_really_shown_and_the_last_once_idle(
    steps: list[tuple[bool, str, list[tuple[int, str]], bool]],
) -> None:
    from glyphcast_websocket.testing import Screen

    cache, outbox, screen = EncodeCache(), Outbox(RowsCodec()), Screen()
    shown: dict[int, tuple[str, ...]] = {}
    rows = ["", "", "", ""]
    latest: Frame | None = None
    seq = 0

    def read_all() -> None:
        for _ in range(100):  # a correct outbox is up to date after a handful of messages
            wire = outbox.next(latest, cache)
            if wire is None:
                return
            message = msg(wire)
            if message["type"] == "delta":
                message.update(width=4, height=4, rows=[list(r) for r in message["rows"]])
            elif message["type"] == "frame":
                message.update(width=4, height=4)
            assert screen.apply(message), "a delta arrived whose base is not the frame on screen"
            if message["type"] != "clear":
                assert screen.seq is not None
                assert tuple(screen.lines) == shown[screen.seq]
        raise AssertionError("the outbox never ran out of messages")

    for new_frame, action, changes, wider in steps:
        if new_frame:
            seq += 1
            for index, text in changes:
                rows[index] = text
            latest = Frame(tuple(rows), 5 if wider else 4, 4, seq, 0.0)
            shown[seq] = latest.rows
        if action == "read":
            read_all()
        elif action == "resync":
            outbox.resync()
        elif action == "clear":
            outbox.cleared({"type": "clear", "seq": seq})
            latest = None
    read_all()
    if latest is not None:
        assert screen.seq == latest.seq and tuple(screen.lines) == latest.rows
