"""A codec from a third-party plugin, registered through ``register_codecs``, is negotiated by the hub."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import glyphcast
import pytest
from glyphcast.plugins import get_registry, load_registry, reset_registry
from glyphcast_websocket.testing import connect, receive, receive_frame


class CsvCodec:
    """A toy codec: JSON messages, but frames carry their rows joined by newlines."""

    subprotocol = "example.csv.v1"
    binary = False
    deltas = False

    def encode(self, message: dict[str, Any]) -> str:
        return json.dumps(message)

    def encode_frame(self, frame: glyphcast.Frame) -> str:
        return json.dumps({"type": "frame", "seq": frame.seq, "ts": frame.ts, "width": frame.width,
                           "height": frame.height, "lines": frame.rows, "text": "\n".join(frame.rows)})

    def encode_delta(self, frame: glyphcast.Frame, base: glyphcast.Frame) -> str:
        return self.encode_frame(frame)

    def decode(self, data: bytes | str) -> dict[str, Any]:
        message = json.loads(data)
        if not isinstance(message, dict):
            raise glyphcast.CodecError("a message must be an object")
        return message


class CsvPlugin:
    @glyphcast.hookimpl
    def register_codecs(self, register: Any) -> None:
        register(CsvCodec())


@pytest.fixture
def registry_with_csv() -> Iterator[None]:
    previous = get_registry()
    reset_registry(load_registry(extra_plugins=[("example-csv", CsvPlugin())]))
    yield
    reset_registry(previous)


def test_registered_codec_is_listed_and_negotiated(registry_with_csv: None) -> None:
    info = get_registry().plugins["example-csv"]
    assert info.codecs == ["example.csv.v1"] and "register_codecs" in info.hooks

    display = glyphcast.open_display("websocket", port=0)
    try:
        display.init(12, 2)
        with connect(display, ["example.csv.v1", "glyphcast.json.v1"]) as ws:
            assert ws.subprotocol == "example.csv.v1"
            assert receive(ws)["codec"] == "example.csv.v1"
            display.show(["alpha", "beta"])
            frame = receive_frame(ws, seq=1)
            assert frame["text"] == "alpha\nbeta"
    finally:
        display.cleanup()
