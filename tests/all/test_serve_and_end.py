"""Streams that end and several streams on one port, end to end: ``glyphcast replay`` and
``glyphcast serve`` as real processes, watched over real WebSockets."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from cli_server import serving
from glyphcast.text import strip_ansi
from glyphcast_websocket.testing import connect, expect_close, http_get, receive, receive_frame, receive_until

DATA = Path(__file__).resolve().parents[1] / "record" / "data"
JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(60)


def short_cast(tmp_path: Path) -> Path:
    """A recording of a few tenths of a second that ends on a known screen."""
    cast = tmp_path / "short.cast"
    events = [[0.05, "o", "hello\r\n"], [0.1, "o", "\x1b[32mthe last screen\x1b[0m"]]
    cast.write_text(
        "\n".join(json.dumps(e) for e in [{"version": 2, "width": 30, "height": 4}, *events]) + "\n"
    )
    return cast


def test_a_replay_that_ends_keeps_its_last_screen_for_late_viewers_while_it_lingers(tmp_path: Path) -> None:
    with serving("replay", str(short_cast(tmp_path)), "--linger", "30") as (port, _, server):
        url = f"ws://127.0.0.1:{port}/ws"
        with connect(url, JSON) as early:
            ended = receive_until(early, "end", timeout=10)
            assert ended["reason"] == "the recording ended"
            assert expect_close(early)[0] == 1000
        with connect(url, JSON) as late:  # seconds later: the cast is long over
            receive_until(late, "hello")
            frame = receive_frame(late)
            assert strip_ansi(frame["lines"][1]) == "the last screen"
            assert receive(late) == {"type": "end", "seq": frame["seq"], "reason": "the recording ended"}
            assert expect_close(late)[0] == 1000
        server.send_signal(signal.SIGINT)  # Ctrl-C while lingering is the normal way out
        assert server.wait(timeout=10) == 0


def test_a_replay_that_is_not_interactive_ends_without_lingering(tmp_path: Path) -> None:
    with serving("replay", str(short_cast(tmp_path))) as (_, _, server):
        assert server.wait(timeout=20) == 0
        assert server.stdout is not None and "Traceback" not in server.stdout.read()


@pytest.mark.parametrize(
    ("limit", "reason"),
    [
        (["--frames", "150"], "stopped after 150 frames (--frames)"),
        (["--duration", "5"], "stopped after 5 s (--duration)"),
    ],
)
def test_a_run_that_stops_at_its_limit_ends_the_stream_for_a_connected_viewer(
    limit: list[str], reason: str
) -> None:
    """Before: the viewer was closed with 1001 (server going away) and reconnected forever to nothing."""
    with serving("run", "--fps", "30", *limit) as (port, _, server):
        with connect(f"ws://127.0.0.1:{port}/ws", JSON) as viewer:
            receive_frame(viewer)
            assert receive_until(viewer, "end", timeout=30)["reason"] == reason
            assert expect_close(viewer) == (1000, "stream ended")
        assert server.wait(timeout=20) == 0


@pytest.mark.parametrize(
    ("signum", "status", "reason"),
    [(signal.SIGTERM, 143, "terminated (SIGTERM)"), (signal.SIGINT, 130, "interrupted (SIGINT)")],
)
def test_a_replay_stopped_by_a_signal_tells_viewers_the_stream_ended_then_exits(
    tmp_path: Path, signum: int, status: int, reason: str
) -> None:
    with serving("replay", str(short_cast(tmp_path)), "--loop") as (port, _, server):
        with connect(f"ws://127.0.0.1:{port}/ws", JSON) as viewer:
            receive_frame(viewer)
            server.send_signal(signum)
            assert receive_until(viewer, "end", timeout=20)["reason"] == reason
            assert expect_close(viewer) == (1000, "stream ended")
        assert server.wait(timeout=20) == status


def test_serve_carries_two_streams_on_one_port_and_lists_them(tmp_path: Path) -> None:
    cast = short_cast(tmp_path)
    with serving(
        "serve", "--stream", "demo=demo:seed=3", "--stream", f"talk=replay:path={cast}", "--size", "40x10"
    ) as (port, _, server):
        with connect(f"ws://127.0.0.1:{port}/s/demo/ws", JSON) as demo:
            assert receive(demo)["stream"] == "demo"
            assert receive_frame(demo)["width"] == 40
        with connect(f"ws://127.0.0.1:{port}/s/talk/ws", JSON) as talk:
            assert receive(talk)["stream"] == "talk"
            assert receive_until(talk, "end", timeout=10)["reason"] == "the recording ended"
        # The talk ended; the demo goes on, and the talk still shows its last screen.
        with connect(f"ws://127.0.0.1:{port}/s/demo/ws", JSON) as demo:
            receive_frame(demo)
        status, _, body = http_get(f"http://127.0.0.1:{port}", "/")
        assert status == 200 and b"/s/demo/" in body and b"/s/talk/" in body
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 128 + signal.SIGTERM
