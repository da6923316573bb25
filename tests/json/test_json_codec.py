"""glyphcast.json.v1: the codec alone, and the websocket-json display over real loopback connections."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import glyphcast
import pytest
from glyphcast import Codec, CodecError, Frame, get_registry
from glyphcast_json import JsonCodec
from glyphcast_websocket import HubDisplay
from glyphcast_websocket.testing import Screen, connect, receive, receive_frame, receive_until, send
from websockets.exceptions import InvalidStatus

pytestmark = pytest.mark.timeout(30)
JSON = "glyphcast.json.v1"


def test_codec_is_registered_under_its_subprotocol_and_meets_the_protocol() -> None:
    codec = get_registry().codecs[JSON]
    assert isinstance(codec, Codec) and isinstance(codec, JsonCodec)
    assert (codec.subprotocol, codec.deltas) == (JSON, False)
    assert isinstance(codec.encode({"type": "clear", "seq": 1}), str), "str: a text WebSocket frame"
    assert "websocket-json" in glyphcast.available_displays()


def test_frame_message_has_the_v1_fields_and_keeps_ansi_and_unicode() -> None:
    frame = Frame(("\x1b[31mrød\x1b[0m", "漢字"), 10, 2, 7, 1700000000123.5)
    message = json.loads(JsonCodec().encode_frame(frame))
    assert message == {
        "type": "frame",
        "seq": 7,
        "ts": 1700000000123.5,
        "width": 10,
        "height": 2,
        "lines": ["\x1b[31mrød\x1b[0m", "漢字"],
    }
    assert "漢字" in JsonCodec().encode_frame(frame)  # UTF-8 on the wire, not \\u escapes


def test_a_delta_request_still_gets_a_full_frame() -> None:
    base = Frame(("a", "b"), 4, 2, 1, 0.0)
    frame = Frame(("a", "c"), 4, 2, 2, 0.0)
    assert json.loads(JsonCodec().encode_delta(frame, base))["lines"] == ["a", "c"]


@pytest.mark.parametrize(
    "data",
    [b"{bad", b"\xff", b"", b"[" * 100_000, b'{"ts": NaN}', b'{"ts": 1e999}', b'{"type": "ping"} x'],
    ids=["malformed", "not-utf8", "empty", "deep", "nan", "overflow", "trailing"],
)
def test_decode_turns_every_failure_into_codec_error(data: bytes) -> None:
    with pytest.raises(CodecError, match="not valid JSON"):
        JsonCodec().decode(data)


def test_decode_reads_a_binary_frame_as_utf8_json_and_leaves_the_schema_to_the_hub() -> None:
    assert JsonCodec().decode(b'{"type":"resync"}') == {"type": "resync"}
    assert JsonCodec().decode('{"type":"input","data":"\u00e9"}'.encode()) == {"type": "input", "data": "é"}
    assert JsonCodec().decode(b"[1]") == [1]


@pytest.fixture
def json_display() -> Iterator[HubDisplay]:
    display = glyphcast.open_display("websocket-json", port=0)
    assert isinstance(display, HubDisplay)
    display.init(12, 3)
    yield display
    display.cleanup()


def test_websocket_json_display_streams_frames_a_client_can_rebuild(json_display: HubDisplay) -> None:
    screen = Screen()
    with connect(json_display, JSON) as ws:
        hello = receive(ws)
        assert (hello["codec"], hello["width"], hello["height"]) == (JSON, 12, 3)
        shown: list[list[str]] = []
        for n in range(1, 21):
            rows = [f"n={n}", "\x1b[1mbold\x1b[0m", "é" * (n % 4)]
            shown.append(rows)
            json_display.show(rows)
        while screen.seq != 20:
            assert screen.apply(receive_frame(ws))
            assert screen.seq is not None
            assert screen.lines == shown[screen.seq - 1]


def test_websocket_json_refuses_clients_offering_only_other_codecs(json_display: HubDisplay) -> None:
    with pytest.raises(InvalidStatus) as refused:
        with connect(json_display, ["glyphcast.diff.v1", "glyphcast.binary.v1"]):
            pass
    assert refused.value.response.status_code == 400


def test_json_client_messages_may_also_come_as_binary_utf8(json_display: HubDisplay) -> None:
    with connect(json_display, JSON) as ws:
        receive(ws)
        ws.send(json.dumps({"type": "ping", "ts": 5}).encode())
        message: dict[str, Any] = receive(ws)
        assert message["type"] == "pong" and message["ts"] == 5
        send(ws, {"type": "ping", "ts": 6})
        assert receive(ws)["ts"] == 6


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("[" * 50_000, id="deep-text"),
        pytest.param('{"type": "ping", "ts": NaN}', id="nan-text"),
        pytest.param(b"\xff\xfe", id="not-utf8-binary"),
        pytest.param(b'{"type": "ping", "ts": Infinity}', id="infinity-binary"),
        pytest.param("[1]", id="array"),
    ],
)
def test_undecodable_json_gets_an_error_reply_and_the_connection_stays_up(
    json_display: HubDisplay, data: str | bytes
) -> None:
    with connect(json_display, JSON) as ws:
        receive(ws)
        ws.send(data)
        reply = receive(ws)
        assert reply["type"] == "error" and reply["code"] == "bad_message", reply
        send(ws, {"type": "ping", "ts": 7})
        assert receive_until(ws, "pong")["ts"] == 7
