"""glyphcast.binary.v1 over real loopback WebSockets: handshake, frames in order, bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator

import glyphcast
import msgpack
import pytest
from glyphcast_websocket.display import HubDisplay
from glyphcast_websocket.testing import connect, receive_frame, receive_until

pytestmark = pytest.mark.timeout(30)

BINARY = "glyphcast.binary.v1"


@pytest.fixture
def stream() -> Iterator[glyphcast.Stream]:
    display = glyphcast.open_display("websocket-binary", port=0)
    with glyphcast.Stream([("websocket-binary", display)], width=20, height=3) as stream:
        stream.init(20, 3)
        yield stream


def hub_display(stream: glyphcast.Stream) -> HubDisplay:
    display = stream.displays[0].display
    assert isinstance(display, HubDisplay)
    return display


def test_plugin_registers_the_codec_and_the_websocket_binary_display() -> None:
    registry = glyphcast.get_registry()
    assert registry.codecs[BINARY].deltas is False
    assert registry.displays["websocket-binary"].plugin == "binary"


def test_handshake_negotiates_binary_and_sends_hello_then_frames_as_binary_msgpack(
    stream: glyphcast.Stream,
) -> None:
    with connect(hub_display(stream), BINARY) as ws:
        assert ws.subprotocol == BINARY
        raw_hello = ws.recv(timeout=5)
        assert isinstance(raw_hello, bytes), "binary codec messages travel as binary WebSocket frames"
        hello = msgpack.unpackb(raw_hello, raw=False)
        assert hello["type"] == "hello"
        assert hello["codec"] == BINARY
        assert hello["protocol"] == 1
        stream.show(["\x1b[32mgreen\x1b[0m", "two"])
        while True:
            raw = ws.recv(timeout=5)
            assert isinstance(raw, bytes)
            frame = msgpack.unpackb(raw, raw=False)
            if frame["type"] != "presence":  # v1.1: sent as clients come and go
                break
        assert frame == {
            "type": "frame",
            "seq": 1,
            "ts": frame["ts"],
            "width": 20,
            "height": 3,
            "lines": ["\x1b[32mgreen\x1b[0m", "two", ""],
        }


def test_frames_arrive_in_order_and_end_on_the_last_frame(stream: glyphcast.Stream) -> None:
    with connect(hub_display(stream), BINARY) as ws:
        receive_until(ws, "hello")
        for n in range(1, 41):
            stream.show([f"frame {n}"])
        seqs: list[int] = []
        while not seqs or seqs[-1] < 40:
            message = receive_frame(ws)
            assert message["type"] == "frame", "the binary codec sends full frames only"
            assert message["lines"][0] == f"frame {message['seq']}"
            seqs.append(message["seq"])
        assert seqs == sorted(set(seqs)), f"frames out of order or repeated: {seqs}"


@pytest.mark.parametrize("encode", [msgpack.packb, json.dumps], ids=["msgpack", "json-text"])
def test_ping_is_answered_with_a_msgpack_pong_whether_sent_as_msgpack_or_json(
    stream: glyphcast.Stream, encode
) -> None:
    with connect(hub_display(stream), BINARY) as ws:
        receive_until(ws, "hello")
        ws.send(encode({"type": "ping", "ts": 123.5}))
        pong = receive_until(ws, "pong")
        assert pong["ts"] == 123.5
        assert isinstance(pong["server_ts"], float)


@pytest.mark.parametrize(
    "bad",
    [
        b"\xc1",
        b"\x81\xa4type",
        msgpack.packb([1, 2]),
        msgpack.packb({"no": "type"}),
        b"\x91" * 5000 + b"\x00",
        b"\x82\xa4type\xa4ping\x91\x01\x02",
        msgpack.packb({"type": "ping", "ts": float("nan")}),
    ],
    ids=["invalid-byte", "truncated", "array", "no-type", "deeply-nested", "list-key", "nan"],
)
def test_malformed_msgpack_gets_an_error_reply_and_the_connection_stays_up(
    stream: glyphcast.Stream, bad: bytes
) -> None:
    with connect(hub_display(stream), BINARY) as ws:
        receive_until(ws, "hello")
        ws.send(bad)
        error = receive_until(ws, "error")
        assert error["code"] and error["message"]
        stream.show(["still here"])
        assert receive_frame(ws)["lines"][0] == "still here"


def test_a_late_joiner_gets_the_current_frame(stream: glyphcast.Stream) -> None:
    stream.show(["before anyone came"])
    with connect(hub_display(stream), BINARY) as ws:
        receive_until(ws, "hello")
        assert receive_frame(ws)["lines"][0] == "before anyone came"
