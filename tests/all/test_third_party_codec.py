"""The third-party codec of docs/plugins.md, taken from the page and run over a real WebSocket.

The code is read out of the docs, not copied: if the example in the guide stops
working, this test fails. It proves the example registers through
``register_codecs`` / ``register_displays``, is negotiated by name, sends
keyframes then deltas that rebuild every frame, and decodes a client's binary frames.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import glyphcast
import pytest
from glyphcast import CodecError, Frame
from glyphcast.plugins import get_registry, load_registry, reset_registry
from glyphcast_websocket import HubDisplay
from glyphcast_websocket.testing import Screen, connect, receive, receive_frame, receive_until, send

pytestmark = pytest.mark.timeout(30)

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
SUBPROTOCOL = "example.jsondiff.v1"


def example_plugin() -> types.ModuleType:
    """The ``# my_glyphcast_jsondiff/plugin.py`` code block of the plugin guide, as a module."""
    blocks = re.findall(
        r"```python\n(# my_glyphcast_jsondiff/plugin\.py\n.*?)```", GUIDE.read_text("utf-8"), re.DOTALL
    )
    assert len(blocks) == 1, "docs/plugins.md should have exactly one my_glyphcast_jsondiff/plugin.py example"
    module = types.ModuleType("my_glyphcast_jsondiff.plugin")
    exec(compile(blocks[0], f"{GUIDE}:my_glyphcast_jsondiff/plugin.py", "exec"), module.__dict__)  # noqa: S102
    return module


@pytest.fixture(scope="module")
def plugin() -> types.ModuleType:
    return example_plugin()


@pytest.fixture
def registry_with_example(plugin: types.ModuleType) -> Iterator[None]:
    previous = get_registry()
    reset_registry(load_registry(extra_plugins=[("jsondiff", plugin)]))
    yield
    reset_registry(previous)


@pytest.fixture
def display(registry_with_example: None) -> Iterator[HubDisplay]:
    display = glyphcast.open_display("websocket-jsondiff", port=0)
    assert isinstance(display, HubDisplay)
    display.init(12, 4)
    yield display
    display.cleanup()


def test_the_example_meets_the_codec_protocol(plugin: types.ModuleType) -> None:
    codec = plugin.JsonDiffCodec()
    assert isinstance(codec, glyphcast.Codec)
    base = Frame(("a", "b", "c", "d"), 12, 4, 1, 0.0)
    frame = Frame(("a", "B", "c", "d"), 12, 4, 2, 1.0)
    delta = codec.encode_delta(frame, base)
    assert isinstance(delta, str | bytes)
    assert json.loads(delta) == {
        "type": "delta",
        "seq": 2,
        "base": 1,
        "ts": 1.0,
        "width": 12,
        "height": 4,
        "rows": [[1, "B"]],
    }
    with pytest.raises(CodecError):
        codec.decode(b"\xff")


def test_plugin_registers_its_codec_and_display(
    plugin: types.ModuleType, registry_with_example: None
) -> None:
    registered: list[glyphcast.Codec] = []
    plugin.register_codecs(register=registered.append)
    assert [codec.subprotocol for codec in registered] == [SUBPROTOCOL]
    info = get_registry().plugins["jsondiff"]
    assert info.codecs == [SUBPROTOCOL]
    assert {"register_codecs", "register_displays"} <= set(info.hooks)
    assert "websocket-jsondiff" in glyphcast.available_displays()


def test_a_client_offering_the_codec_gets_keyframe_then_deltas_that_rebuild_every_frame(
    display: HubDisplay,
) -> None:
    with connect(display, [SUBPROTOCOL]) as ws:
        assert ws.subprotocol == SUBPROTOCOL
        raw_hello = ws.recv(timeout=5)
        assert isinstance(raw_hello, str), "the example's str messages travel as text frames"
        assert json.loads(raw_hello)["codec"] == SUBPROTOCOL
        screen, kinds = Screen(), []
        shown = [[f"row {r} frame {n if r == n % 4 else 0}" for r in range(4)] for n in range(1, 31)]
        display.show(shown[0])
        first = receive_frame(ws, seq=1)
        assert first["type"] == "frame", "a client that holds nothing gets a keyframe"
        assert screen.apply(first)
        for n, rows in enumerate(shown[1:], start=2):
            display.show(rows)
            while screen.seq != n:
                message = receive_frame(ws)
                kinds.append(message["type"])
                assert screen.apply(message), "a delta arrived on a base the client does not hold"
                assert screen.seq is not None
                assert screen.lines == shown[screen.seq - 1]
        # Two of four rows change per frame, and the client always holds the previous frame.
        assert set(kinds) == {"delta"}, f"deltas = True should bring deltas, got {kinds}"


def test_client_messages_in_text_and_binary_frames_are_answered(display: HubDisplay) -> None:
    with connect(display, [SUBPROTOCOL]) as ws:
        receive(ws)
        send(ws, {"type": "ping", "ts": 1})
        assert receive_until(ws, "pong")["ts"] == 1
        ws.send(json.dumps({"type": "ping", "ts": 2}).encode())  # binary frame -> the example's decode()
        assert receive_until(ws, "pong")["ts"] == 2
        ws.send(b"\xff not json")
        error: dict[str, Any] = receive_until(ws, "error")
        assert error["code"] == "bad_message" and "not valid JSON" in error["message"]
        send(ws, {"type": "ping", "ts": 3})
        assert receive_until(ws, "pong")["ts"] == 3, "the connection stays up after a bad message"
