"""Every package installed together: one stream, every display side by side, and the CLI end to end."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import glyphcast
import pytest
from glyphcast.displays import MemoryDisplay
from glyphcast.text import strip_ansi
from glyphcast_websocket import HubDisplay
from glyphcast_websocket.testing import Screen, connect, receive, receive_until, send, wait_for

CODECS = ("glyphcast.json.v1", "glyphcast.binary.v1", "glyphcast.diff.v1")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_rows(count: int, width: int = 60, height: int = 16) -> list[list[str]]:
    source = glyphcast.open_source("demo", width, height)
    cues = (cue for cue in source if cue.rows is not None)
    return [list(cue.rows) for cue in itertools.islice(cues, count)]  # type: ignore[arg-type]


def follow(ws: object, screen: Screen, seq: int) -> None:
    """Apply messages until the screen shows frame ``seq``, resyncing as a viewer would."""
    while screen.seq != seq:
        message = receive_until(ws, lambda m: m.get("type") in ("frame", "delta", "clear"))  # type: ignore[arg-type]
        if not screen.apply(message):
            send(ws, {"type": "resync"})  # type: ignore[arg-type]


def test_all_codecs_a_recording_and_memory_carry_one_stream(tmp_path: Path) -> None:
    port = free_port()
    cast = tmp_path / "side.cast"
    stream = glyphcast.open_displays(
        [f"websocket-{codec}:port={port}" for codec in ("json", "binary", "diff")]
        + [f"record:path={cast}", "memory"]
    )
    frames = demo_rows(45)
    with stream:
        stream.init(60, 16)
        hub = stream.displays[0].display
        assert isinstance(hub, HubDisplay)
        clients = [connect(hub, codec) for codec in CODECS]
        sockets = [client.__enter__() for client in clients]
        try:
            for ws, codec in zip(sockets, CODECS, strict=True):
                hello = receive(ws)
                assert hello["type"] == "hello" and hello["codec"] == codec
            screens = [Screen() for _ in sockets]
            for rows in frames:
                stream.show(rows)
            memory = stream.displays[-1].display
            assert isinstance(memory, MemoryDisplay)
            last = memory.last
            assert last is not None and last.seq == len(frames)
            for ws, screen in zip(sockets, screens, strict=True):
                follow(ws, screen, last.seq)
                assert screen.lines == list(last.rows), f"{ws.subprotocol} shows another frame"
        finally:
            for client in clients:
                client.__exit__(None, None, None)
        assert all(a.active for a in stream.displays), stream.status()

    replay = glyphcast.open_source("replay", 0, 0, path=str(cast), speed=1000.0)
    replayed = [cue.rows for cue in replay if cue.rows is not None]
    assert len(replayed) == len(frames)
    # Replay rebuilds rows from a terminal emulator: same text in every cell.
    assert [strip_ansi(r).rstrip() for r in replayed[-1]] == [strip_ansi(r).rstrip() for r in frames[-1]]


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "glyphcast", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_cli_records_the_demo_and_replays_it_to_a_browser_client(tmp_path: Path) -> None:
    cast = tmp_path / "demo.cast"
    recorded = run_cli(
        "run", "--frames", "40", "--fps", "200", "--size", "50x14", "--display", f"record:path={cast}"
    )
    assert recorded.returncode == 0, recorded.stderr
    lines = cast.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    assert (header["version"], header["width"], header["height"]) == (2, 50, 14)
    assert sum(1 for line in lines[1:] if json.loads(line)[1] == "o") == 40

    expected = [
        cue.rows for cue in glyphcast.open_source("replay", 0, 0, path=str(cast), speed=1000.0) if cue.rows
    ][-1]
    port = free_port()
    server = subprocess.Popen(
        # 200 fps: the hub hands each frame over before the next (live views are latest-wins: at
        # many times that rate, a loop's last frame is replaced by the next loop's first, as it should be)
        [
            sys.executable,
            "-m",
            "glyphcast",
            "replay",
            str(cast),
            "--speed",
            "1",
            "--loop",
            "--display",
            f"websocket:port={port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: _accepts(port), timeout=20), "replay server never listened"
        with connect(f"ws://127.0.0.1:{port}/ws", "glyphcast.diff.v1") as ws:
            assert receive(ws)["type"] == "hello"
            screen = Screen()
            seen = 0
            while screen.lines != list(expected) and seen < 2000:
                message = receive_until(
                    ws, lambda m: m.get("type") in ("frame", "delta", "clear"), timeout=10
                )
                seen += 1
                if not screen.apply(message):
                    send(ws, {"type": "resync"})
            assert screen.lines == list(expected), (
                "the browser client never showed the recording's last frame"
            )
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert server.returncode in (0, 143), output
    assert f"serving http://127.0.0.1:{port}/" in output


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("codec", ["json", "binary", "diff"])
def test_each_codec_display_alone_serves_only_its_codec(codec: str) -> None:
    display = glyphcast.open_display(f"websocket-{codec}", port=0)
    assert isinstance(display, HubDisplay)
    try:
        display.init(10, 2)
        with connect(display, [f"glyphcast.{codec}.v1", *CODECS]) as ws:
            assert receive(ws)["codec"] == f"glyphcast.{codec}.v1"
    finally:
        display.cleanup()
