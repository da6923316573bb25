"""The stock asciinema-player (npm, pinned, bundled as the hub's /player page) plays a live glyphcast
stream in real Chromium over each of v1.alis, v2.asciicast and v3.asciicast, and shows the text of the
frames the engine showed: from the start, as a late joiner, and at the stream's end. Owned by
glyphcast-asciinema (issue 13).

The player offers ``v1.alis, v2.asciicast, v3.asciicast, raw`` whatever the page does, so each server
here enables one format (``websocket-alis``, ``websocket-asciicast-v2``, ``websocket-asciicast-v3``);
/healthz says which codec the player's connection got.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_fixtures import GlyphcastServer, plain, servers, unavailable

pytestmark = pytest.mark.timeout(120)

DISPLAYS = {
    "v1.alis": "websocket-alis",
    "v2.asciicast": "websocket-asciicast-v2",
    "v3.asciicast": "websocket-asciicast-v3",
}
FINITE_DEMO = Path(__file__).resolve().with_name("finite_demo.py")
ROOT = Path(__file__).resolve().parents[2]
PLAYER = ROOT / "client" / "node_modules" / "asciinema-player"
DOC = ROOT / "docs" / "asciinema.md"
CDN = re.compile(r"https://cdn\.jsdelivr\.net/npm/asciinema-player@([\d.]+)/dist/bundle/")
TITLE = re.compile(r"frame (\d{6})")
SIZE = "60x16"


class PlayerPage:
    """One tab with the hub's /player page, read through the player's DOM (its text layer)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, url: str) -> PlayerPage:
        self.page.goto(url)
        self.page.wait_for_function("() => window.glyphcastPlayer !== undefined")
        return self

    def screen(self) -> list[str]:
        """The terminal's rows as text, in one synchronous look (the player redraws whole snapshots)."""
        return list(
            self.page.evaluate(
                """() => [...document.querySelectorAll('.ap-term-text .ap-line')]
                 .map(line => line.textContent.replace(/\\u00a0/g, ' ').trimEnd())"""
            )
        )

    def wait_for_text(self, timeout: float = 15.0) -> list[str]:
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('.ap-term-text .ap-line')].some(l => l.textContent.trim())",
            timeout=timeout * 1000,
        )
        return self.screen()

    def wait_ended(self, timeout: float = 20.0) -> None:
        self.page.wait_for_function("() => window.glyphcastPlayer.ended === true", timeout=timeout * 1000)


@pytest.fixture
def open_player(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(url: str) -> PlayerPage:
        context = browser.new_context(viewport={"width": 1000, "height": 600})
        contexts.append(context)
        return PlayerPage(context.new_page()).open(url)

    yield make
    for context in contexts:
        context.close()


def shown_seq(rows: list[str]) -> int:
    """Which frame a demo screen is: its title says ``frame NNNNNN`` (0-based); seq counts from 1."""
    match = TITLE.search(rows[0]) if rows else None
    assert match, f"not a demo screen: {rows[:1]}"
    return int(match.group(1)) + 1


def engine_text(server: GlyphcastServer, seq: int) -> list[str]:
    return [plain(row) for row in server.frame(seq)["rows"]]


def codec_clients(server: GlyphcastServer) -> dict[str, int]:
    with urllib.request.urlopen(f"{server.http_url}/healthz", timeout=5) as response:
        return dict(json.load(response)["clients"])


def latest_seq(server: GlyphcastServer) -> int:
    lines = server.frame_log.read_text(encoding="utf-8").splitlines() if server.frame_log.exists() else []
    return int(json.loads(lines[-1])["seq"]) if lines else 0


def assert_shows_engine_frames(server: GlyphcastServer, page: PlayerPage, samples: int = 5) -> list[int]:
    """Sample the player's screen: each look is exactly the text of the frame its title names."""
    seen = []
    for _ in range(samples):
        rows = page.screen()
        seq = shown_seq(rows)
        assert rows == engine_text(server, seq), f"the player's screen is not frame {seq}"
        seen.append(seq)
        time.sleep(0.15)
    assert seen == sorted(seen) and len(set(seen)) > 1, f"the stream did not move: {seen}"
    return seen


class EndingServer(GlyphcastServer):
    """The demo for ``frames`` frames, then its end; the run keeps serving the last screen (``--linger``)."""

    def __init__(self, frames: int, **kwargs: Any) -> None:
        super().__init__(plugins={"demo-then-end": str(FINITE_DEMO)}, **kwargs)
        self.frames = frames

    def command(self) -> list[str]:
        cmd = super().command()
        cmd[cmd.index("--source") + 1] = f"demo-then-end:frames={self.frames}"
        return [*cmd, "--linger", "60"]


@pytest.fixture
def ending_server() -> Iterator[Any]:
    yield from servers(EndingServer)


@pytest.mark.parametrize("subprotocol", list(DISPLAYS))
def test_the_stock_player_shows_the_frames_the_engine_showed(
    server_factory, open_player, subprotocol
) -> None:
    server = server_factory(display=DISPLAYS[subprotocol], size=SIZE)
    page = open_player(f"{server.http_url}/player")
    page.wait_for_text()
    assert codec_clients(server)[subprotocol] == 1
    assert_shows_engine_frames(server, page)
    assert not page.errors, page.errors


@pytest.mark.parametrize("subprotocol", list(DISPLAYS))
def test_a_late_joiner_starts_on_the_current_frame(server_factory, open_player, subprotocol) -> None:
    server = server_factory(display=DISPLAYS[subprotocol], size=SIZE)
    time.sleep(2.0)
    joined_at = latest_seq(server)
    assert joined_at > 30
    page = open_player(f"{server.http_url}/player")
    rows = page.wait_for_text()
    assert shown_seq(rows) >= joined_at and rows == engine_text(server, shown_seq(rows))
    assert_shows_engine_frames(server, page, samples=3)
    assert not page.errors, page.errors


@pytest.mark.parametrize("subprotocol", list(DISPLAYS))
def test_the_stream_end_leaves_the_final_frame_and_the_player_ended(
    ending_server, open_player, subprotocol
) -> None:
    frames = 75
    server = ending_server(frames=frames, display=DISPLAYS[subprotocol], size=SIZE)
    watching = open_player(f"{server.http_url}/player")
    watching.wait_for_text()
    watching.wait_ended()
    final = engine_text(server, frames)
    assert watching.screen() == final
    # A joiner after the end (the run lingers on the last screen): the final frame, then the end.
    late = open_player(f"{server.http_url}/player")
    late.wait_ended()
    assert late.screen() == final
    assert not watching.errors and not late.errors, watching.errors + late.errors


def test_a_hub_with_every_codec_gives_the_player_alis_and_the_viewer_its_own(
    server_factory, open_player
) -> None:
    server = server_factory(size=SIZE)  # the `websocket` display: every installed codec
    page = open_player(f"{server.http_url}/player")
    page.wait_for_text()
    assert codec_clients(server)["v1.alis"] == 1
    assert_shows_engine_frames(server, page, samples=3)


def test_the_player_page_of_a_named_stream_plays_that_stream(server_factory, open_player) -> None:
    server = server_factory(display="websocket-alis", size=SIZE, options={"stream": "talk"})
    page = open_player(f"{server.http_url}/s/talk/player")
    page.wait_for_text()
    assert page.page.evaluate("() => window.glyphcastPlayer.url").endswith("/s/talk/ws")
    assert_shows_engine_frames(server, page, samples=3)


def test_the_player_with_its_own_adaptive_buffer_shows_engine_frames_too(server_factory, open_player) -> None:
    server = server_factory(display="websocket-alis", size=SIZE)
    page = open_player(f"{server.http_url}/player?buffer=auto")
    page.wait_for_text()
    assert_shows_engine_frames(server, page, samples=3)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log on the test output."""


@pytest.fixture
def other_origin(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A plain web server on another port (another origin): (its URL, the directory it serves)."""
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()


def test_the_docs_snippet_plays_the_stream_in_a_page_on_another_origin(
    server_factory, browser, other_origin
) -> None:
    """docs/asciinema.md's embed, as written, with the player's files served locally instead of the CDN."""
    origin, site = other_origin
    (html,) = re.findall(r"```html\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    pinned = json.loads((ROOT / "client" / "package.json").read_text())["dependencies"]["asciinema-player"]
    assert set(CDN.findall(html)) == {pinned}, (
        "the snippet loads the asciinema-player version glyphcast pins and tests"
    )
    for name in ("asciinema-player.min.js", "asciinema-player.css"):
        if not (PLAYER / "dist" / "bundle" / name).is_file():
            unavailable("asciinema-player is not installed: cd client && npm ci")
        shutil.copy(PLAYER / "dist" / "bundle" / name, site / name)
    server = server_factory(display="websocket-alis", size=SIZE, options={"allow_origin": origin})
    assert "wss://live.example.org/ws" in html
    (site / "index.html").write_text(
        CDN.sub("", html).replace("wss://live.example.org/ws", server.ws_url), "utf-8"
    )
    context = browser.new_context(viewport={"width": 1000, "height": 600})
    try:
        page = PlayerPage(context.new_page())
        page.page.goto(f"{origin}/index.html")
        page.wait_for_text()
        assert codec_clients(server)["v1.alis"] == 1
        assert_shows_engine_frames(server, page, samples=3)
        assert not page.errors, page.errors
    finally:
        context.close()
