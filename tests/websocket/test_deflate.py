"""Shared permessage-deflate (RFC 7692): each message compressed once for every session that
negotiated it, plain bytes for the others, bounded and bomb-proof on the way in."""

from __future__ import annotations

import zlib
from typing import Any

import pytest
from glyphcast import protocol
from glyphcast_websocket.delivery import DEFLATE_STATS, Wire
from glyphcast_websocket.testing import connect, expect_close, receive, receive_frame, receive_until, wait_for
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(30)


def deflate(**options: Any) -> dict[str, Any]:
    """websockets client options offering permessage-deflate."""
    return {"extensions": [ClientPerMessageDeflateFactory(**options)]}


def negotiated(ws: Any) -> str:
    return str(ws.response.headers.get("Sec-WebSocket-Extensions", ""))


def inflate(framed: bytes) -> bytes:
    """The payload of a short (< 126 bytes of header-length) or 16-bit-length compressed server frame."""
    length = framed[1] & 0x7F
    start = 2 if length < 126 else 4
    return zlib.decompressobj(-15).decompress(framed[start:] + b"\x00\x00\xff\xff")  # RFC 7692 7.2.2


def test_a_message_is_compressed_with_rsv1_and_inflates_to_its_payload() -> None:
    wire = Wire.of('{"type":"frame","lines":["' + "ab" * 500 + '"]}')
    compressed = wire.deflated()
    assert compressed[0] & 0x40  # RSV1: compressed
    assert len(compressed) < len(wire.framed) / 10
    assert inflate(compressed) == wire.payload


def test_a_message_that_would_not_shrink_goes_as_it_is() -> None:
    wire = Wire.of(b"\x93\x01\x02")
    assert wire.deflated() is wire.framed  # RSV1 clear: RFC 7692 allows it per message


def test_compression_is_done_once_per_window_size() -> None:
    wire = Wire.of("x" * 300)
    before = DEFLATE_STATS.compressions
    assert wire.deflated(15) is wire.deflated(15)
    wire.deflated(10)
    assert DEFLATE_STATS.compressions - before == 2


@pytest.mark.parametrize("codec", [JSON, "glyphcast.binary.v1", "glyphcast.diff.v1"])
def test_a_deflate_client_and_a_plain_client_get_the_same_messages(open_hub: Any, codec: str) -> None:
    pytest.importorskip("glyphcast_" + codec.split(".")[1])  # every codec in the `all` env
    display = open_hub(width=60, height=4)
    with connect(display, codec, **deflate()) as packed, connect(display, codec) as plain:
        assert "permessage-deflate" in negotiated(packed)
        assert "server_no_context_takeover" in negotiated(packed)
        assert "client_no_context_takeover" in negotiated(packed)
        assert negotiated(plain) == ""
        assert receive(packed) == receive(plain)  # hello
        for n in range(5):
            display.show([f"row {n} " + "=" * 50, "", f"\x1b[31m{n}\x1b[0m", ""])
            assert receive_frame(packed, seq=n + 1) == receive_frame(plain, seq=n + 1)


def test_the_compressed_bytes_are_computed_once_however_many_sessions_take_them(open_hub: Any) -> None:
    display = open_hub(width=80, height=4)
    clients = [connect(display, JSON, **deflate()) for _ in range(20)]
    sockets = [client.__enter__() for client in clients]
    try:
        for ws in sockets:
            receive_until(ws, "hello")
        before = DEFLATE_STATS.compressions
        display.show(["one " * 20, "two " * 20, "", ""])
        for ws in sockets:
            assert receive_frame(ws)["lines"][0].startswith("one")
        assert DEFLATE_STATS.compressions - before == 1  # one frame, twenty sessions
    finally:
        for client in clients:
            client.__exit__(None, None, None)


def test_a_client_s_smaller_window_is_honoured(open_hub: Any) -> None:
    display = open_hub(width=80, height=4)
    with connect(display, JSON, **deflate(server_max_window_bits=9)) as ws:
        assert "server_max_window_bits=9" in negotiated(ws)
        receive_until(ws, "hello")
        assert wait_for(lambda: any(s.connection.deflate_bits == 9 for s in display.room.sessions))
        display.show(["abc" * 26, "", "", ""])
        assert receive_frame(ws)["lines"][0] == "abc" * 26


def test_a_deflate_bomb_from_a_client_is_closed_with_1009(open_hub: Any) -> None:
    display = open_hub()
    with connect(display, JSON, **deflate()) as ws:
        receive_until(ws, "hello")
        bomb = '{"type":"ping","ts":1,"pad":"' + "a" * (4 * protocol.MAX_CLIENT_MESSAGE) + '"}'
        ws.send(bomb)  # a few kB on the wire, 256 kB inflated
        assert expect_close(ws)[0] == 1009


def test_compressed_client_messages_are_understood(open_hub: Any) -> None:
    display = open_hub()
    with connect(display, JSON, **deflate()) as ws:
        receive_until(ws, "hello")
        ws.send('{"type":"ping","ts":12.5,"note":"' + "n" * 300 + '"}')
        assert receive_until(ws, "pong")["ts"] == 12.5


def test_compression_can_be_turned_off(open_hub: Any) -> None:
    display = open_hub(compression="false")
    with connect(display, JSON, **deflate()) as ws:
        assert negotiated(ws) == ""
        receive_until(ws, "hello")
