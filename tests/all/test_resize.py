"""A controller's ``resize`` in ``glyphcast run``: followed by a source that can (the demo),
refused out loud by one that can't (a recording), end to end over a real WebSocket."""

from __future__ import annotations

from pathlib import Path

from cli_server import serving
from glyphcast.text import strip_ansi
from glyphcast_websocket.testing import connect, receive, receive_until, send

DATA = Path(__file__).resolve().parents[1] / "record" / "data"


def frames(ws: object, count: int) -> list[tuple[int, int]]:
    sizes = []
    for _ in range(count):
        message = receive_until(ws, lambda m: m.get("type") in ("frame", "delta"), timeout=10)  # type: ignore[arg-type]
        sizes.append((message["width"], message["height"]))
    return sizes


def test_run_follows_a_controllers_resize_on_the_demo() -> None:
    with serving("run", "--source", "demo", "--size", "40x12", "--fps", "60") as (port, token, _):
        with connect(f"ws://127.0.0.1:{port}/ws", "glyphcast.json.v1", token=token) as ws:
            hello = receive(ws)
            assert (hello["type"], hello["width"], hello["height"]) == ("hello", 40, 12)
            assert set(frames(ws, 3)) == {(40, 12)}
            send(ws, {"type": "resize", "width": 64, "height": 20})
            # Frames already on their way may be the old size; then every one is the new size.
            message = receive_until(ws, lambda m: m.get("type") == "frame" and m["width"] == 64, timeout=10)
            assert (message["width"], message["height"]) == (64, 20)
            assert len(message["lines"]) == 20
            assert set(frames(ws, 10)) == {(64, 20)}
            # The demo laid itself out again: its footer names the new size.
            assert "64x20" in strip_ansi(message["lines"][-1]), message["lines"][-1]


def test_run_of_a_recording_keeps_its_size_and_says_why_when_a_controller_resizes() -> None:
    cast = DATA / "player-resizing-v3.cast"
    with serving("replay", str(cast), "--speed", "20", "--loop") as (port, token, server):
        with connect(f"ws://127.0.0.1:{port}/ws", "glyphcast.json.v1", token=token) as ws:
            assert receive(ws)["type"] == "hello"
            send(ws, {"type": "resize", "width": 30, "height": 7})
            refused = receive_until(ws, "error")
            assert refused["code"] == "unsupported" and "keeps its own size" in refused["message"], refused
            sizes = frames(ws, 30)
            assert (30, 7) not in sizes, "a recording was squeezed to a controller's size"
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert "a controller asked for 30x7" in output and "keeps its own size" in output, output
