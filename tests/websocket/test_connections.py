"""Real loopback connections: handshake, hello, frames in order, bad input, hooks."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import glyphcast
import pytest
from glyphcast import Frame, Stream
from glyphcast_websocket.testing import (
    CONTROL_TOKEN,
    connect,
    expect_close,
    receive,
    receive_frame,
    receive_until,
    send,
)
from websockets.exceptions import InvalidStatus

JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(30)


def test_client_offering_json_gets_hello_then_frames_in_order(open_hub: Any) -> None:
    display = open_hub()
    with connect(display, JSON, control=True) as ws:
        assert ws.subprotocol == JSON
        hello = receive(ws)
        assert hello == {
            "type": "hello",
            "protocol": 1,
            "server": hello["server"],
            "codec": JSON,
            "width": 20,
            "height": 5,
            "role": "controller",
            "codecs": hello["codecs"],
            "stream": "main",
        }
        assert JSON in hello["codecs"]  # and every other installed codec
        assert hello["server"].startswith("glyphcast/")
        for n in range(1, 31):
            display.show([f"line {n}"])
        seqs: list[int] = []
        while not seqs or seqs[-1] < 30:
            frame = receive_frame(ws)
            assert frame["lines"][0] == f"line {frame['seq']}"
            seqs.append(frame["seq"])
        assert seqs == sorted(set(seqs))  # increasing: never an older frame after a newer one


def test_client_offering_no_subprotocol_gets_json_like_the_seed(open_hub: Any) -> None:
    display = open_hub()
    display.show(["seed"])
    with connect(display, None, path="/") as ws:
        assert ws.subprotocol is None
        assert receive(ws)["codec"] == JSON
        frame = receive_frame(ws)
        assert {"type", "width", "height", "lines"} <= frame.keys() and frame["lines"][0] == "seed"


def test_first_enabled_subprotocol_in_the_clients_list_is_taken(open_hub: Any) -> None:
    display = open_hub()
    with connect(display, ["glyphcast.nonexistent.v9", JSON]) as ws:
        assert ws.subprotocol == JSON


def test_only_unknown_subprotocols_are_refused_at_the_handshake(open_hub: Any) -> None:
    display = open_hub()
    with pytest.raises(InvalidStatus) as refused:
        with connect(display, ["glyphcast.nonexistent.v9"]):
            pass
    assert refused.value.response.status_code == 400
    assert b"glyphcast.json.v1" in refused.value.response.body  # says what it does speak


def test_a_joining_client_gets_the_current_frame_at_once(open_hub: Any) -> None:
    display = open_hub()
    display.show(["already here"])
    with connect(display, JSON) as ws:
        receive(ws)
        assert receive_frame(ws)["lines"][0] == "already here"


def test_clear_blanks_clients_and_the_next_frame_comes_in_full(open_hub: Any) -> None:
    display = open_hub()
    display.show(["x"])
    with connect(display, JSON) as ws:
        receive_frame(ws)
        display.clear()
        clear = receive_until(ws, "clear")
        assert clear["seq"] == 1
        display.show(["y"])
        assert receive_frame(ws)["lines"][0] == "y"


def test_ping_gets_pong_with_the_clients_ts(open_hub: Any) -> None:
    display = open_hub()
    with connect(display, JSON) as ws:
        receive(ws)
        send(ws, {"type": "ping", "ts": 1234.5})
        pong = receive_until(ws, "pong")
        assert pong["ts"] == 1234.5 and pong["server_ts"] > 0


BAD_INPUT = [
    ("{oops", "bad_message"),
    ('["a list"]', "bad_message"),
    ('{"type": "fly"}', "unknown_type"),
    ('{"type": "ping", "ts": "soon"}', "bad_field"),
    ('{"type": "resize", "width": 5000, "height": 10}', "out_of_range"),
    ('{"type": "resize", "width": "wide", "height": 10}', "bad_field"),
    ('{"type": "input", "data": 42}', "bad_field"),
]


def test_each_bad_message_gets_an_error_and_the_connection_stays_up(open_hub: Any) -> None:
    display = open_hub()
    with connect(display, JSON, control=True) as ws:
        receive(ws)
        for raw, code in BAD_INPUT:
            ws.send(raw)
            error = receive_until(ws, "error")
            assert error["code"] == code, raw
            assert error["message"]
        ws.send(b"\x93\x01\x02")  # binary that is not JSON
        assert receive_until(ws, "error")["code"] == "bad_message"
        display.show(["still streaming"])
        assert receive_frame(ws)["lines"][0] == "still streaming"


def test_viewer_sending_controller_messages_is_refused_but_stays(open_hub: Any) -> None:
    display = open_hub(control_token=CONTROL_TOKEN)
    with connect(display, JSON) as ws:
        assert receive(ws)["role"] == "viewer"
        for message in (
            {"type": "resize", "width": 10, "height": 10},
            {"type": "command", "command": "quit"},
            {"type": "input", "data": "q"},
        ):
            send(ws, message)
            assert receive_until(ws, "error")["code"] == "forbidden"
        send(ws, {"type": "ping", "ts": 1})
        assert receive_until(ws, "pong")["ts"] == 1


def test_too_many_messages_per_second_are_rate_limited(open_hub: Any) -> None:
    display = open_hub()
    with connect(display, JSON) as ws:
        receive(ws)
        for n in range(300):
            send(ws, {"type": "ping", "ts": n})
        replies = [receive(ws) for _ in range(300)]
        kinds = [r["type"] for r in replies]
        assert 100 <= kinds.count("pong") < 200  # the burst, plus what refilled meanwhile
        assert {r["code"] for r in replies if r["type"] == "error"} == {"rate_limited"}
        time.sleep(0.2)
        send(ws, {"type": "ping", "ts": -1})
        assert receive_until(ws, "pong")["ts"] == -1  # still connected, served again


def test_oversized_message_closes_with_1009(open_hub: Any) -> None:
    display = open_hub()
    with connect(display, JSON) as ws:
        receive(ws)
        ws.send(json.dumps({"type": "input", "data": "x" * 70_000}))
        assert expect_close(ws)[0] == 1009


def test_resync_resends_the_current_frame(open_hub: Any) -> None:
    display = open_hub()
    display.show(["now"])
    with connect(display, JSON) as ws:
        first = receive_frame(ws)
        send(ws, {"type": "resync"})
        again = receive_frame(ws)
        assert again["seq"] == first["seq"] and again["lines"] == first["lines"]


def test_client_hooks_fire_on_the_hub_thread_with_client_info(open_hub: Any, recorder: Any) -> None:
    display = open_hub()
    recorder.state = {"from_hook": 1}
    with connect(display, JSON, control=True) as ws:
        receive(ws)
        send(ws, {"type": "command", "command": {"action": "next"}})
        send(ws, {"type": "input", "data": "jk"})
        send(ws, {"type": "resize", "width": 100, "height": 30})
        send(ws, {"type": "state_request"})
        assert receive_until(ws, "state")["state"] == {"from_hook": 1}
        assert recorder.wait("command") == [({"action": "next"}, "controller")]
        assert recorder.wait("input") == ["jk"]
        assert recorder.wait("resize") == [(100, 30)]
        client = recorder.wait("connected")[0]
        assert client.codec == JSON and client.role == "controller" and client.remote.startswith("127.0.0.1:")
    gone = recorder.wait("disconnected")
    assert [c.id for c in gone] == [client.id]
    assert display.get_dimensions() == (100, 30)  # the seed's resize behaviour


def test_a_raising_hook_is_logged_and_the_connection_goes_on(
    open_hub: Any, recorder: Any, caplog: pytest.LogCaptureFixture
) -> None:
    recorder.raise_in = {"connected", "command", "state_snapshot"}
    display = open_hub()
    with connect(display, JSON, control=True) as ws:
        receive(ws)
        send(ws, {"type": "command", "command": "boom"})
        send(ws, {"type": "state_request"})
        assert receive_until(ws, "state")["state"] == {}
        display.show(["alive"])
        assert receive_frame(ws)["lines"][0] == "alive"
    assert "client_command hook raised" in caplog.text
    assert "client_connected hook raised" in caplog.text


def test_two_displays_on_one_stream_send_each_frame_once(open_hub: Any) -> None:
    from hub_fixtures import free_port

    port = free_port()
    both = open_hub("websocket", port=port)
    json_only = open_hub("websocket-json", port=port)
    assert both.hub is json_only.hub  # one server for the port
    with Stream([("websocket", both), ("websocket-json", json_only)], width=20, height=5) as stream:
        with connect(both, JSON) as ws:
            receive(ws)
            for n in range(1, 6):
                stream.show([f"n{n}"])
            seqs: list[int] = []
            while not seqs or seqs[-1] < 5:
                seqs.append(receive_frame(ws)["seq"])
            assert len(seqs) == len(set(seqs))
            assert both.room.frames == 5


def test_one_thread_hop_per_frame_per_hub_however_many_displays_share_it(open_hub: Any) -> None:
    from hub_fixtures import free_port

    port = free_port()
    both = open_hub("websocket", port=port)
    json_only = open_hub("websocket-json", port=port)
    hub, room = both.hub, both.room
    hops: list[Any] = []
    handover = hub.thread.call

    def counted(function: Callable[..., Any], *args: Any) -> None:
        hops.append(function)
        handover(function, *args)

    hub.thread.call = counted
    with Stream([("websocket", both), ("websocket-json", json_only)], width=20, height=5) as stream:
        for n in range(1, 21):
            stream.show([f"n{n}"])
            time.sleep(0.005)  # let the loop take each one
    assert room is not None and room.frames == 20
    frame_hops = [f for f in hops if getattr(f, "__name__", "") == "_take_incoming"]
    # At most one hop per frame, not 40: the second display finds the frame already handed over. (Fewer
    # than 20 when the loop, on a loaded machine, took two frames in one hop: latest-wins.)
    assert 0 < len(frame_hops) <= 20


def test_clients_see_the_streams_own_seq_and_a_restarted_numbering_as_a_keyframe(open_hub: Any) -> None:
    display = open_hub()
    with connect(display, JSON) as ws:
        receive(ws)
        display.show_frame(Frame.from_buffer(["a"], 20, 5, seq=100))
        assert receive_frame(ws)["seq"] == 100
        display.show_frame(Frame.from_buffer(["b"], 20, 5, seq=101))
        assert receive_frame(ws)["seq"] == 101
        display.show_frame(Frame.from_buffer(["again"], 20, 5, seq=1))  # a new producer
        restarted = receive_frame(ws)
        assert (restarted["type"], restarted["seq"], restarted["lines"][0]) == ("frame", 1, "again")


def _last_screen_message(ws: Any, idle: float = 0.5) -> dict[str, Any]:
    """The last frame or clear the client gets before the stream goes quiet."""
    last: dict[str, Any] = {}
    while True:
        try:
            message = receive(ws, timeout=idle)
        except TimeoutError:
            return last
        if message["type"] in ("frame", "delta", "clear"):
            last = message


def test_clear_keeps_its_place_among_the_frames_around_it(open_hub: Any) -> None:
    """show, clear, show ends on the last frame (never blank); show, clear ends blank."""
    display = open_hub()
    with connect(display, JSON) as ws:
        receive(ws)
        for n in range(20):
            display.show([f"before {n}"])
            display.clear()
            display.show([f"after {n}"])
            last = _last_screen_message(ws, idle=0.05 if n < 19 else 0.5)
            if n == 19:
                assert (last["type"], last["lines"][0]) == ("frame", "after 19")
        display.show(["shown"])
        display.clear()
        assert _last_screen_message(ws)["type"] == "clear"


class RefusesResize:
    @glyphcast.hookimpl
    def client_resize(self, width: int, height: int, client: glyphcast.ClientInfo) -> str | None:
        return f"cannot be {width}x{height}"


def test_a_refused_resize_gets_an_unsupported_error_and_the_displays_keep_their_size(open_hub: Any) -> None:
    from glyphcast.plugins import load_registry, reset_registry

    reset_registry(load_registry(extra_plugins=[("refuses", RefusesResize())]))
    try:
        display = open_hub(width=20, height=5)
        with connect(display, JSON, control=True) as ws:
            receive(ws)
            send(ws, {"type": "resize", "width": 30, "height": 7})
            error = receive_until(ws, "error")
            assert (error["code"], error["message"]) == ("unsupported", "cannot be 30x7")
            assert display.get_dimensions() == (20, 5)
    finally:
        reset_registry(None)
