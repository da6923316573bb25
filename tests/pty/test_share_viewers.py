"""``glyphcast share`` end to end: real WebSocket viewers, a controller typing, a recording that asciinema plays."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from glyphcast_websocket.testing import (
    Screen,
    connect,
    expect_close,
    receive,
    receive_until,
    send,
    stalled_client,
)
from pty_helpers import Terminal, asciinema_cat, plain
from reference_terminal import screen_of_output
from websockets.sync.client import ClientConnection

TerminalFactory = Callable[..., Terminal]
JSON = "glyphcast.json.v1"

ECHO_UNTIL_BYE = (
    'echo ready; while read line; do echo "said: $line"; if [ "$line" = bye ]; then exit 4; fi; done'
)


class Viewer:
    """A WebSocket client that keeps the screen its messages build, as the browser viewer does."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.screen = Screen()
        self.cursor: Any = None
        self.hello = receive(ws)
        assert self.hello["type"] == "hello"

    def apply(self, message: dict[str, Any]) -> bool:
        if message["type"] in ("frame", "delta"):
            self.screen.apply(message)
            self.cursor = message.get("cursor")
        return False

    def rows(self) -> list[str]:
        """The screen as text (blank rows of the announced size before the first frame)."""
        return plain(self.screen.lines) if self.screen.lines else [""] * self.hello["height"]

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float = 10.0) -> list[str]:
        if not predicate(self.rows()):
            receive_until(self.ws, lambda m: self.apply(m) or predicate(self.rows()), timeout)
        return self.rows()

    def until_end(self, timeout: float = 10.0) -> dict[str, Any]:
        return receive_until(self.ws, lambda m: self.apply(m) or m["type"] == "end", timeout)


def addresses(term: Terminal) -> tuple[str, str]:
    """The viewer's WebSocket URL and the control token, from what glyphcast printed."""
    text = term.read_until(lambda out: b"#control=" in out and out.rstrip().endswith(b"them)")).decode()
    port = re.search(r"serving http://127\.0\.0\.1:(\d+)/", text)
    token = re.search(r"#control=([\w-]+)", text)
    assert port and token, text
    return f"ws://127.0.0.1:{port.group(1)}/ws", token.group(1)


@contextmanager
def viewers(term: Terminal) -> Iterator[tuple[Viewer, Viewer]]:
    url, token = addresses(term)
    with connect(url, JSON) as watching, connect(url, JSON, token=token) as controlling:
        yield Viewer(watching), Viewer(controlling)


def test_viewers_watch_a_controller_types_and_the_programs_exit_ends_the_stream(
    terminal: TerminalFactory,
) -> None:
    term = terminal("share", "--display", "websocket:port=0", "--", "sh", "-c", ECHO_UNTIL_BYE)
    with viewers(term) as (viewer, controller):
        url = f"ws://127.0.0.1:{viewer.ws.remote_address[1]}/ws"
        assert (viewer.hello["role"], controller.hello["role"]) == ("viewer", "controller")
        viewer.wait_for(lambda s: s[0] == "ready")
        assert viewer.cursor == [0, 1]

        send(controller.ws, {"type": "input", "data": "from the controller\r"})
        screen = viewer.wait_for(lambda s: "said: from the controller" in s)
        assert screen[1:3] == ["from the controller", "said: from the controller"]
        term.wait_for_text("said: from the controller")  # the sharer sees it too

        # The sharer's window sets the size: a controller's resize is answered, and refused.
        send(controller.ws, {"type": "resize", "width": 100, "height": 40})
        unsupported = receive_until(controller.ws, lambda m: controller.apply(m) or m["type"] == "error")
        assert unsupported["code"] == "unsupported"

        send(viewer.ws, {"type": "input", "data": "bye\r"})
        refused = receive_until(viewer.ws, lambda m: viewer.apply(m) or m["type"] == "error")
        assert refused["code"] == "forbidden"

        term.type("bye\r")  # the sharer ends it
        for client in (viewer, controller):
            end = client.until_end()
            assert end["reason"] == "program exited with status 4"
            assert expect_close(client.ws)[0] == 1000
        assert viewer.rows()[3:5] == ["bye", "said: bye"]
        # The program is gone; the last screen stays up for whoever opens the page now, until Ctrl-C.
        term.wait_for_text("Press Ctrl-C to stop")
        with connect(url, JSON) as late:
            receive_until(late, "hello")
            last = receive_until(late, "frame")["lines"]
            assert plain(last[3:5]) == ["bye", "said: bye"]
            assert receive_until(late, "end")["reason"] == "program exited with status 4"
        term.type("\x03")  # the terminal is the sharer's again: Ctrl-C stops glyphcast
    assert term.finish() == 4
    assert "bye" not in term.text().split("said: from the controller")[0]


@pytest.mark.parametrize(
    ("signum", "status", "reason"),
    [(signal.SIGTERM, 143, "terminated (SIGTERM)"), (signal.SIGINT, 130, "interrupted (SIGINT)")],
)
def test_share_stopped_by_a_signal_tells_viewers_the_stream_ended_then_exits(
    terminal: TerminalFactory, signum: int, status: int, reason: str
) -> None:
    """``kill`` (or ``kill -INT``) of glyphcast share is its sharer stopping it: viewers get ``end`` and
    1000, and do not reconnect to a server that is gone (before: 1001, and they did)."""
    term = terminal("share", "--display", "websocket:port=0", "--", "sh", "-c", "echo ready; sleep 600")
    with viewers(term) as (viewer, controller):
        viewer.wait_for(lambda s: s[0] == "ready")
        os.kill(term.process.pid, signum)
        for client in (viewer, controller):
            assert client.until_end()["reason"] == reason
            assert expect_close(client.ws) == (1000, "stream ended")
    assert term.finish() == status


def test_recording_at_the_same_time_plays_in_asciinema_to_the_viewers_screen(
    terminal: TerminalFactory, tmp_path: Path
) -> None:
    cast = tmp_path / "shared.cast"
    term = terminal(
        "share",
        "--linger",
        "0",
        "--display",
        "websocket:port=0",
        "--display",
        f"record:path={cast}",
        "--",
        "sh",
        "-c",
        "printf '\\033[1;33mtitle\\033[0m\\n'; " + ECHO_UNTIL_BYE,
        width=60,
        height=12,
    )
    with viewers(term) as (viewer, _):
        viewer.wait_for(lambda s: s[1] == "ready")
        term.type("one\r")
        viewer.wait_for(lambda s: s[3] == "said: one")  # typed ahead, "bye" would echo before it
        term.type("bye\r")
        viewer.until_end()
        shown = viewer.rows()
    assert term.finish() == 4
    assert shown[:6] == ["title", "ready", "one", "said: one", "bye", "said: bye"]
    assert screen_of_output(asciinema_cat(cast), 60, 12) == shown


def peak_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        found = re.search(r"VmHWM:\s+(\d+) kB", status.read())
    assert found
    return int(found.group(1))


def test_a_flood_never_waits_on_viewers_and_memory_stays_bounded(terminal: TerminalFactory) -> None:
    term = terminal(
        "share",
        "--linger",
        "0",
        "--display",
        "websocket:port=0",
        "--",
        "sh",
        "-c",
        "echo ready; read x; yes 'a flood of output' | head -c 30000000; echo flood-done; read x",
    )
    url, token = addresses(term)
    port = int(url.split(":")[2].split("/")[0])
    with connect(url, JSON) as watching, stalled_client(SimpleNamespace(host="127.0.0.1", port=port)):  # type: ignore[arg-type]
        viewer = Viewer(watching)
        viewer.wait_for(lambda s: s[0] == "ready")
        before = peak_rss_kb(term.process.pid)
        started = time.monotonic()
        term.type("\r")
        term.wait_for_text("flood-done", timeout=60)
        elapsed = time.monotonic() - started
        viewer.wait_for(lambda s: s[-2].endswith("flood-done"))  # after the last, cut line
        grown = peak_rss_kb(term.process.pid) - before
        term.type("\r")
    assert term.finish() == 0
    assert elapsed < 30, f"30 MB took {elapsed:.1f} s to reach the sharer's terminal"
    assert grown < 30_000, f"glyphcast's peak RSS grew {grown} kB during a 30 MB flood"


def test_controller_input_over_the_meter_is_dropped_with_one_line_on_the_raw_terminal(
    terminal: TerminalFactory,
) -> None:
    term = terminal(
        "share",
        "--linger",
        "0",
        "--display",
        "websocket:port=0",
        "--",
        "sh",
        "-c",
        "stty -icanon -echo; echo ready; cat > /dev/null",
    )
    with viewers(term) as (viewer, controller):
        viewer.wait_for(lambda s: s[0] == "ready")
        for _ in range(5):  # 5 x 16000 bytes: the first four fit the 64 KiB burst, the fifth does not
            send(controller.ws, {"type": "input", "data": "x" * 16000})
        term.wait_for_text("over the limit of 8192 bytes/s")
        term.type("\x03")
        assert term.finish() == 130  # Ctrl-C: cat and sh were interrupted, glyphcast passes it on
    # The sharer's terminal is raw: the log line returns the carriage itself.
    assert (
        "glyphcast: pty: dropped 1 controller input message(s), 16000 bytes: over the limit of 8192 bytes/s"
        " (65536 at once) or the program is not reading its input\r\n" in term.text()
    )


def test_run_with_the_pty_source_follows_a_controllers_resize(terminal: TerminalFactory) -> None:
    # `read` fails when SIGWINCH interrupts it: the loop goes on reading.
    script = 'trap "stty size" WINCH; echo ready; while :; do read line && echo "got $line"; done'
    term = terminal(
        "run", "--source", f"pty:command=sh -c '{script}'", "--display", "websocket:port=0", "--size", "60x12"
    )
    with viewers(term) as (viewer, controller):
        viewer.wait_for(lambda s: s[0] == "ready")
        send(controller.ws, {"type": "resize", "width": 100, "height": 30})
        # At once, with the program idle: it gets SIGWINCH (its trap prints the new size).
        screen = viewer.wait_for(lambda s: "30 100" in s)
        assert len(screen) == 30 and viewer.screen.width == 100
        send(controller.ws, {"type": "input", "data": "x\r"})
        assert "got x" in viewer.wait_for(lambda s: "got x" in s)
