"""The asciinema codecs from a real hub over real loopback WebSockets, read by the client written from
asciinema's description (``asciinema_client``) into a real VT emulator."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import glyphcast
import pytest
from asciinema_client import Eot, Init, Output, Resize, StreamClient
from glyphcast.text import strip_ansi
from glyphcast_websocket.assets import Assets
from glyphcast_websocket.display import HubDisplay
from glyphcast_websocket.testing import connect, expect_close

pytestmark = pytest.mark.timeout(60)

DISPLAYS = {
    "v1.alis": "websocket-alis",
    "v2.asciicast": "websocket-asciicast-v2",
    "v3.asciicast": "websocket-asciicast-v3",
}
#: What asciinema-player offers, in its order (src/driver/websocket.js).
PLAYER_OFFER = ["v1.alis", "v2.asciicast", "v3.asciicast", "raw"]


def open_stream(name: str, width: int = 40, height: int = 6) -> glyphcast.Stream:
    display = glyphcast.open_display(name, port=0)
    stream = glyphcast.Stream([(name, display)], width=width, height=height)
    stream.init(width, height)
    return stream


def hub(stream: glyphcast.Stream) -> HubDisplay:
    display = stream.displays[0].display
    assert isinstance(display, HubDisplay)
    return display


def board(seq: int, height: int = 6) -> list[str]:
    """Frame ``seq`` of a board where one or two rows change per frame."""
    rows = [f"row {y} base" for y in range(height)]
    for n in range(1, seq + 1):
        rows[n % height] = f"\x1b[3{n % 8}mrow {n % height} at {n}\x1b[0m"
        if n % 5 == 0:
            rows[(n + 3) % height] = f"\x1b[7mrow {(n + 3) % height} also at {n}\x1b[0m"
    return rows


def plain(rows: list[str]) -> list[str]:
    return [strip_ansi(row).rstrip() for row in rows]


def client_for(stream: glyphcast.Stream, subprotocol: str, **options: object) -> StreamClient:
    display = hub(stream)
    return StreamClient(display.host, display.port, subprotocol, **options)  # type: ignore[arg-type]


def shrink_server_send_buffers(display: HubDisplay, size: int = 16384, timeout: float = 5.0) -> None:
    """Pin the hub's kernel send buffer per session, as a slow link would (loopback autotunes to MBs)."""
    deadline = time.monotonic() + timeout
    while display.room is None or not display.room.sessions:
        if time.monotonic() > deadline:
            raise TimeoutError("no session appeared on the hub")
        time.sleep(0.005)
    for session in display.room.sessions:
        session.connection.transport.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_SNDBUF, size
        )


@pytest.fixture(params=list(DISPLAYS))
def subprotocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def stream(subprotocol: str) -> Iterator[glyphcast.Stream]:
    with open_stream(DISPLAYS[subprotocol]) as stream:
        yield stream


def test_the_plugin_registers_three_codecs_and_a_display_for_each() -> None:
    registry = glyphcast.get_registry()
    for subprotocol, display in DISPLAYS.items():
        assert registry.codecs[subprotocol].subprotocol == subprotocol
        assert registry.displays[display].plugin == "asciinema"
    timelines = {id(registry.codecs[s].timeline) for s in DISPLAYS}  # type: ignore[attr-defined]
    assert len(timelines) == 1, "the three formats count from the same time 0"


@pytest.mark.parametrize("name", sorted(DISPLAYS.values()))
def test_a_players_format_alone_offers_its_player_page_and_no_control_link(name: str) -> None:
    """asciinema-player sends nothing, and glyphcast's viewer reads none of its formats: a control
    link would open a page that can neither show nor control the stream."""
    with open_stream(name) as stream:
        display = hub(stream)
        assert display.settings.control_token  # there is one; no client of these formats can use it
        assert display.controller_url is None
        assert display.url == f"http://127.0.0.1:{display.port}/player"
        if not Assets().built:
            return  # the page itself needs the built viewer (make viewer); tox's asciinema env has none
        with urllib.request.urlopen(display.url, timeout=10) as page:
            assert page.status == 200 and b"player" in page.read()


def test_the_cli_prints_the_player_page_and_no_control_link_for_a_players_format(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "glyphcast",
            "run",
            "--display",
            "websocket-alis",
            "--port",
            "0",
            "--frames",
            "3",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    served = [line for line in result.stderr.splitlines() if "the viewer was not built" not in line]
    assert len(served) == 1 and re.fullmatch(
        r"glyphcast: websocket-alis: serving http://127\.0\.0\.1:\d+/player", served[0]
    )
    assert "#control=" not in result.stderr


def test_the_player_offer_gets_alis_from_a_hub_with_every_codec() -> None:
    with open_stream("websocket") as stream, connect(hub(stream), PLAYER_OFFER) as ws:
        assert ws.subprotocol == "v1.alis"
        assert ws.recv(timeout=5) == b"ALiS\x01"


def test_every_frame_the_engine_shows_is_the_players_screen(
    stream: glyphcast.Stream, subprotocol: str
) -> None:
    client = client_for(stream, subprotocol)
    try:
        for seq in range(1, 41):
            stream.show(board(seq))

            def shows_board(seq: int = seq) -> bool:
                return client.player.screen is not None and client.player.text() == plain(board(seq))

            client.read_until(shows_board)
        if subprotocol == "v1.alis":
            assert client.messages[0] == b"ALiS\x01"
            assert isinstance(client.events[0], Init) and client.events[0].last_id == 1
            assert all(isinstance(e, Output) for e in client.events[1:])
            assert [e.id for e in client.events[1:]] == list(range(2, 41))
        else:
            assert client.player.resets == 1  # one header, then events only
    finally:
        client.close()


def test_a_late_joiner_starts_from_the_current_frame_at_stream_time(
    stream: glyphcast.Stream, subprotocol: str
) -> None:
    for seq in range(1, 26):
        stream.show(board(seq))
    time.sleep(0.05)
    display = hub(stream)
    client = client_for(stream, subprotocol)
    try:
        client.read_until(
            lambda: client.player.screen is not None and client.player.text() == plain(board(25))
        )
        latest = display.room.latest if display.room else None
        assert latest is not None and latest.seq == 25
        timeline = glyphcast.get_registry().codecs[subprotocol].timeline  # type: ignore[attr-defined]
        since_start = timeline.since_start(latest.ts)
        if subprotocol == "v1.alis":
            init = client.events[0]
            assert isinstance(init, Init) and (init.last_id, init.cols, init.rows) == (25, 40, 6)
            assert init.time_us == since_start > 0
        else:
            assert client.player.time_s == pytest.approx(since_start / 1e6, abs=1e-6)
        stream.show(board(26))
        client.read_until(lambda: client.player.text() == plain(board(26)))
    finally:
        client.close()


def test_a_slow_reader_skips_frames_and_converges_on_the_newest(subprotocol: str) -> None:
    height, width = 30, 200
    with open_stream(DISPLAYS[subprotocol], width=width, height=height) as stream:
        tall = [f"{y:02d} " + "x" * 190 for y in range(height)]
        shown = {tuple(plain(tall))}
        client = client_for(stream, subprotocol)
        shrink_server_send_buffers(hub(stream))
        try:
            stream.show(tall)
            client.read_until(
                lambda: client.player.screen is not None and client.player.text() == plain(tall)
            )
            before = len(client.messages)
            for seq in range(2, 201):  # every row changes (~7 KB per update) while the client does not read
                rows = [f"{seq:04d}" + row for row in tall]
                shown.add(tuple(plain(rows)))
                stream.show(rows)
                time.sleep(0.002)  # the hub takes each frame and writes until the socket is full
            buffered = hub(stream).room.sessions[0].connection.transport.get_write_buffer_size()  # type: ignore[union-attr]
            assert buffered <= hub(stream).settings.write_limit + 16 * 1024, (
                f"{buffered} bytes held for one client"
            )
            last = [f"{200:04d}" + row for row in tall]
            client.read_until(lambda: client.player.text() == last)
            updates = len(client.messages) - before
            assert 1 < updates < 100, (
                f"a slow reader should skip frames, not queue them: got {updates} updates"
            )
            blank = {tuple([""] * height)}  # a header, or a resize before its repaint
            assert set(client.screens) <= shown | blank, "the player showed a screen the engine never showed"
            if subprotocol == "v1.alis":
                ids = [e.id for e in client.events if isinstance(e, Output)]
                assert ids == sorted(ids) and ids[-1] == 200
        finally:
            client.close()


def test_a_resize_is_a_resize_event_and_the_screen_follows(
    stream: glyphcast.Stream, subprotocol: str
) -> None:
    client = client_for(stream, subprotocol)
    try:
        stream.show(board(1))
        client.read_until(
            lambda: client.player.screen is not None and client.player.text() == plain(board(1))
        )
        stream.init(30, 4, reuse=True)
        stream.show(["small", "screen"])
        client.read_until(lambda: client.player.text() == ["small", "screen", "", ""])
        assert client.player.screen is not None and client.player.screen.size == (30, 4)
        assert client.player.resets == 1
        if subprotocol == "v1.alis":
            assert any(isinstance(e, Resize) and (e.cols, e.rows) == (30, 4) for e in client.events)
    finally:
        client.close()


def test_the_end_shows_the_final_frame_then_closes_with_1000(
    stream: glyphcast.Stream, subprotocol: str
) -> None:
    client = client_for(stream, subprotocol)
    try:
        for seq in range(1, 6):
            stream.show(board(seq))
        stream.end("replay finished")
        client.read_until(lambda: client.close_code is not None)
        assert client.close_code == 1000
        assert client.player.text() == plain(board(5))
        if subprotocol == "v1.alis":
            assert isinstance(client.events[-1], Eot)  # asciinema-player: "ended", no reconnect
    finally:
        client.close()


def test_a_joiner_after_the_end_gets_the_final_frame_and_the_end(
    stream: glyphcast.Stream, subprotocol: str
) -> None:
    for seq in range(1, 4):
        stream.show(board(seq))
    stream.end("program exited")
    time.sleep(0.05)
    client = client_for(stream, subprotocol)
    try:
        client.read_until(lambda: client.close_code is not None)
        assert client.close_code == 1000 and client.player.text() == plain(board(3))
    finally:
        client.close()


def test_a_client_binary_message_is_refused_without_a_reply_and_the_stream_goes_on(subprotocol: str) -> None:
    with open_stream(DISPLAYS[subprotocol]) as stream, connect(hub(stream), subprotocol) as ws:
        ws.recv(timeout=5)  # magic or header
        ws.send(b"\x00garbage")  # an error reply has no form in these formats: nothing comes back
        ws.send('{"type": "ping", "ts": 1}')  # JSON text is still read; its pong is not sent either
        stream.show(board(1))
        first = ws.recv(timeout=5)
        assert (first[0] == 0x01) if subprotocol == "v1.alis" else '"r"' in first
        stream.end("done")
        assert expect_close(ws)[0] == 1000
