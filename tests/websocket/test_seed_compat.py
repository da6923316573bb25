"""The seed's WebSocketDisplay, method by method, on the new hub (an engine swaps it in unedited)."""

from __future__ import annotations

import importlib.util
import inspect
import json
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
from glyphcast import ClientInfo, Display
from glyphcast_websocket import StreamingMode, WebSocketDisplay
from glyphcast_websocket.testing import (
    CONTROL_TOKEN,
    connect,
    receive,
    receive_frame,
    receive_until,
    send,
    wait_for,
)

pytestmark = pytest.mark.timeout(30)

SEED_METHODS = [
    "is_available",
    "init",
    "show",
    "set_streaming_mode",
    "get_streaming_mode",
    "clear",
    "cleanup",
    "client_count",
    "get_ws_port",
    "get_http_port",
    "set_frame_delay",
    "get_frame_delay",
    "set_client_connected_callback",
    "set_client_disconnected_callback",
    "set_command_callback",
    "set_controller",
    "broadcast_state",
    "get_dimensions",
    "start_server",
    "stop_server",
    "start_http_server",
    "stop_http_server",
]


@dataclass
class StageControl:
    enabled: bool
    params: dict[str, Any]
    selected: bool


@dataclass
class Panel:
    """Shaped like the seed's UI panel: what _get_state_snapshot read."""

    stages: dict[str, StageControl] = field(
        default_factory=lambda: {"blur": StageControl(True, {"radius": 2}, False)}
    )
    _current_preset: str = "calm"
    _presets: list[str] = field(default_factory=lambda: ["calm", "storm"])
    selected_stage: str = "blur"


def test_every_public_method_of_the_seed_exists_with_a_compatible_signature() -> None:
    for name in SEED_METHODS:
        assert callable(getattr(WebSocketDisplay, name)), name
    params = inspect.signature(WebSocketDisplay.__init__).parameters
    assert list(params)[1:5] == ["host", "port", "http_port", "streaming_mode"]
    assert {m.name for m in StreamingMode} == {"JSON", "BINARY", "DIFF"}
    assert isinstance(WebSocketDisplay(port=0), Display)


def test_seed_walkthrough_on_the_new_hub() -> None:
    # Controlling needs the control token now (a loopback client is a viewer without it).
    display = WebSocketDisplay("127.0.0.1", 0, 0, StreamingMode.JSON, control_token=CONTROL_TOKEN)
    connected: list[ClientInfo] = []
    disconnected: list[ClientInfo] = []
    commands: list[Any] = []
    seen = threading.Event()
    display.set_client_connected_callback(connected.append)

    def on_disconnected(client: ClientInfo) -> None:
        disconnected.append(client)
        seen.set()

    display.set_client_disconnected_callback(on_disconnected)
    display.set_command_callback(commands.append)
    display.set_controller(Panel())
    display.set_frame_delay(0.05)
    try:
        assert display.is_available()
        assert display.get_frame_delay() == 0.05
        assert display.get_streaming_mode() == StreamingMode.JSON
        display.init(40, 6)
        assert display.get_dimensions() == (40, 6)
        port = display.get_ws_port()
        assert port > 0 and display.get_http_port() == port  # one port for both now
        assert display.client_count() == 0

        display.show(["before anyone"])
        with connect(
            display, None, path="/", token=CONTROL_TOKEN
        ) as ws:  # a seed client: no subprotocol, path /
            hello = receive(ws)
            assert hello["type"] == "hello" and hello["width"] == 40
            frame = receive_frame(ws)
            assert (frame["type"], frame["width"], frame["height"]) == ("frame", 40, 6)
            assert frame["lines"][0] == "before anyone" and len(frame["lines"]) == 6
            assert wait_for(lambda: display.client_count() == 1)

            display.show(["boxed"], border=True)
            boxed = receive_frame(ws)
            assert boxed["lines"][0].startswith("┌") and boxed["lines"][1].startswith("│boxed")

            send(ws, {"type": "command", "command": {"action": "preset", "name": "storm"}})
            assert wait_for(lambda: commands == [{"action": "preset", "name": "storm"}])

            send(ws, {"type": "state_request"})
            state = receive_until(ws, "state")["state"]
            assert state == {
                "stages": {"blur": {"enabled": True, "params": {"radius": 2}, "selected": False}},
                "preset": "calm",
                "presets": ["calm", "storm"],
                "selected_stage": "blur",
            }

            display.broadcast_state({"fps": 30})
            assert receive_until(ws, "state")["state"] == {"fps": 30}

            display.clear()
            assert receive_until(ws, "clear")["type"] == "clear"

            send(ws, {"type": "resize", "width": 100, "height": 30})
            assert wait_for(lambda: display.get_dimensions() == (100, 30))
        assert seen.wait(5)
        assert [c.id for c in connected] == [c.id for c in disconnected]
        assert connected[0].codec == "glyphcast.json.v1" and connected[0].display == "websocket"
    finally:
        display.cleanup()
    assert display.client_count() == 0
    display.show(["after cleanup"])  # ignored, as engines draw once more while shutting down


def test_streaming_mode_picks_the_codec_for_clients_that_offer_none() -> None:
    display = WebSocketDisplay(port=0, streaming_mode=StreamingMode.DIFF | StreamingMode.JSON)
    try:
        display.init(10, 2)
        # the seed's preference (diff) when glyphcast-diff is installed, else JSON
        preferred = "glyphcast.diff.v1" if importlib.util.find_spec("glyphcast_diff") else "glyphcast.json.v1"
        with connect(display, None) as ws:
            assert receive(ws)["codec"] == preferred
        display.set_streaming_mode(StreamingMode.JSON)
        assert display.get_streaming_mode() is StreamingMode.JSON
    finally:
        display.cleanup()


def test_a_seed_client_reads_plain_json_text() -> None:
    display = WebSocketDisplay(port=0)
    try:
        display.init(8, 2)
        display.show(["ab", "cd"])
        with connect(display, None) as ws:
            texts = [ws.recv(timeout=5), ws.recv(timeout=5)]
        assert all(isinstance(t, str) for t in texts)
        assert json.loads(texts[1])["lines"] == ["ab", "cd"]
    finally:
        display.cleanup()


@pytest.mark.parametrize("stop, start", [("cleanup", "init"), ("stop_server", "start_server")])
def test_the_seed_serves_again_after_it_was_stopped(stop: str, start: str) -> None:
    display = WebSocketDisplay(port=0)
    try:
        display.init(8, 2)
        port = display.get_ws_port()
        getattr(display, stop)()
        with pytest.raises(OSError):  # really stopped: nothing listens on the port
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        getattr(display, start)(*((8, 2) if start == "init" else ()))
        display.show(["again"])
        with connect(display, None) as ws:
            assert receive(ws)["type"] == "hello"
            assert receive_frame(ws)["lines"][0] == "again"
    finally:
        display.cleanup()


def test_the_legacy_module_keeps_its_old_name_seed_as_an_alias() -> None:
    """An engine that imports ``glyphcast_websocket.seed`` (the legacy module's old name) gets the same classes."""
    import glyphcast_websocket.legacy as legacy
    import glyphcast_websocket.seed as seed

    assert seed.WebSocketDisplay is legacy.WebSocketDisplay is WebSocketDisplay
    assert seed.StreamingMode is legacy.StreamingMode is StreamingMode
    assert "old name" in (seed.__doc__ or "")
