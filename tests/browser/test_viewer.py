"""The viewer in real Chromium against a real ``glyphcast run`` server.

Rows are read from xterm's buffer (``window.glyphcast.rows()``), never from
pixels, and compared with the frame the engine shows, as a plain json-codec
client receives it.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from browser_fixtures import ARTIFACTS, plain
from glyphcast_websocket.testing import CONTROL_TOKEN, VIEW_TOKEN

# A hung browser or server must not hang the suite.
pytestmark = pytest.mark.timeout(120)

CODECS = ["json", "binary", "diff"]
SUBPROTOCOL = {c: f"glyphcast.{c}.v1" for c in CODECS}


def assert_shows_engine_frames(viewer, server, samples: int = 3) -> dict:
    """At a few moments, the rows in xterm's buffer are exactly the engine's
    frame of the seq the viewer has painted (escapes stripped)."""
    for _ in range(samples):
        snap = viewer.snapshot()
        assert snap["paintedSeq"] is not None, snap
        frame = server.frame(snap["paintedSeq"])
        assert (snap["cols"], snap["rows_"]) == (frame["width"], frame["height"])
        assert snap["rows"] == [plain(row) for row in frame["rows"]], f"frame {frame['seq']}"
        viewer.page.wait_for_timeout(150)
    return snap


@pytest.mark.parametrize("codec", CODECS)
def test_rows_in_xterm_equal_the_engine_frame(server_factory, open_viewer, codec):
    server = server_factory()
    viewer = open_viewer(f"{server.http_url}/?codec={codec}")
    viewer.wait_live()
    snap = assert_shows_engine_frames(viewer, server)
    assert snap["codec"] == codec
    assert snap["stats"]["resyncs"] == 0
    if codec == "diff":
        assert snap["stats"]["deltas"] > 0, "the diff codec should have sent deltas"
    else:
        assert snap["stats"]["deltas"] == 0
    status = viewer.status_text()
    assert codec in status and "fps" in status and "kB/s" in status
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    viewer.page.screenshot(path=str(ARTIFACTS / f"demo-{codec}.png"))
    assert viewer.errors == []


def test_grid_follows_the_stream_size(server_factory, open_viewer):
    server = server_factory(size="100x30")
    viewer = open_viewer(f"{server.http_url}/?codec=binary")
    viewer.wait_live()
    snap = assert_shows_engine_frames(viewer, server, samples=1)
    assert (snap["cols"], snap["rows_"]) == (100, 30)
    assert "100×30" in viewer.status_text()


def test_default_codec_is_diff(server_factory, open_viewer):
    server = server_factory()
    viewer = open_viewer(f"{server.http_url}/")
    viewer.wait_live()
    assert viewer.eval("() => glyphcast.codec") == "diff"


def test_seq_gap_triggers_resync_and_the_screen_heals(server_factory, open_viewer):
    server = server_factory()
    viewer = open_viewer(f"{server.http_url}/?codec=diff")
    viewer.wait_live()
    viewer.wait("() => glyphcast.stats.deltas >= 5")
    keyframes = viewer.eval("() => { glyphcast.dropNext(1); return glyphcast.stats.frames; }")
    viewer.wait("() => glyphcast.stats.dropped === 1 && glyphcast.stats.resyncs >= 1")
    # The keyframe answering the resync, then deltas on top of it again.
    deltas = viewer.eval("() => glyphcast.stats.deltas")
    viewer.wait("([f, d]) => glyphcast.stats.frames > f && glyphcast.stats.deltas > d", [keyframes, deltas])
    snap = assert_shows_engine_frames(viewer, server)
    assert snap["stats"]["resyncs"] >= 1


def test_killed_server_is_reconnected_and_the_screen_heals(server_factory, open_viewer):
    server = server_factory()
    viewer = open_viewer(f"{server.http_url}/?codec=diff")
    viewer.wait_live()
    server.kill()
    viewer.wait("() => glyphcast.state === 'reconnecting'")
    assert "reconnecting…" in viewer.status_text()
    painted = viewer.eval("() => glyphcast.stats.frames")
    server.start()
    viewer.wait(
        "(n) => glyphcast.state === 'live' && glyphcast.stats.reconnects >= 1 && glyphcast.stats.frames > n",
        painted,
        timeout=20,
    )
    snap = assert_shows_engine_frames(viewer, server)
    assert snap["stats"]["reconnects"] >= 1


def test_second_viewer_mid_stream_sees_the_current_frame(server_factory, open_viewer):
    server = server_factory()
    first = open_viewer(f"{server.http_url}/?codec=diff")
    first.wait_live()
    first.wait("() => glyphcast.stats.deltas >= 10")
    second = open_viewer(f"{server.http_url}/?codec=diff")
    second.wait_live()
    assert_shows_engine_frames(first, server)
    snap = assert_shows_engine_frames(second, server)
    assert snap["stats"]["resyncs"] == 0


def wait_for_output(server, wanted: list[str], timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while not all(w in server.output() for w in wanted) and time.monotonic() < deadline:
        time.sleep(0.1)
    return server.output()


def test_the_printed_controller_link_makes_a_controller_and_leaves_the_address_bar(
    server_factory, open_viewer
):
    server = server_factory()
    out = wait_for_output(server, ["#control="])
    link = re.search(r"open (http://\S+#control=\S+)", out)
    assert link, out[-800:]
    viewer = open_viewer(link.group(1))
    viewer.wait_live()
    assert viewer.eval("() => glyphcast.role") == "controller"
    assert "#control" not in viewer.page.url and "control=" not in viewer.page.url
    plain = open_viewer(f"{server.http_url}/")  # the address without the fragment: a viewer
    plain.wait_live()
    assert plain.eval("() => glyphcast.role") == "viewer"


def test_controller_keystrokes_reach_the_engine(server_factory, open_viewer):
    server = server_factory(options={"control_token": CONTROL_TOKEN})
    viewer = open_viewer(f"{server.http_url}/?codec=json#control={CONTROL_TOKEN}")
    viewer.wait_live()
    assert viewer.eval("() => glyphcast.role") == "controller"
    assert "controller" in viewer.status_text()
    viewer.page.click(".xterm-screen")
    viewer.page.keyboard.type("hi!")
    viewer.page.keyboard.press("Enter")
    wanted = [f"client_input {json.dumps(key)} controller" for key in ("h", "i", "!", "\r")]
    out = wait_for_output(server, wanted)
    assert all(w in out for w in wanted), out[-800:]


def test_viewer_without_control_token_is_read_only(server_factory, open_viewer):
    server = server_factory(options={"control_token": CONTROL_TOKEN})
    viewer = open_viewer(f"{server.http_url}/?codec=json")
    viewer.wait_live()
    assert viewer.eval("() => glyphcast.role") == "viewer"
    assert "read-only" in viewer.status_text()
    viewer.page.click(".xterm-screen")
    viewer.page.keyboard.type("no")
    controller = open_viewer(f"{server.http_url}/?codec=json#control={CONTROL_TOKEN}")
    controller.wait_live()
    assert controller.eval("() => glyphcast.role") == "controller"
    controller.page.click(".xterm-screen")
    controller.page.keyboard.type("y")
    out = wait_for_output(server, ['client_input "y" controller'])
    assert 'client_input "y" controller' in out
    assert 'client_input "n"' not in out and 'client_input "o"' not in out
    assert viewer.eval("() => glyphcast.stats.errors") == 0, "a viewer must not send controller messages"


def test_policy_close_shows_the_reason_and_stops(server_factory, open_viewer):
    server = server_factory(options={"token": VIEW_TOKEN})
    viewer = open_viewer(f"{server.http_url}/")
    viewer.wait("() => glyphcast.state === 'rejected'")
    status = viewer.status_text()
    assert "refused by server (403)" in status and "#token=" in status, status
    time.sleep(2)
    assert viewer.eval("() => [glyphcast.state, glyphcast.stats.reconnects]") == ["rejected", 0]
    allowed = open_viewer(f"{server.http_url}/#token={VIEW_TOKEN}")
    allowed.wait_live()


def test_server_full_close_reason_is_shown(server_factory, open_viewer):
    server = server_factory(options={"max_clients": 1})
    first = open_viewer(f"{server.http_url}/")
    first.wait_live()
    second = open_viewer(f"{server.http_url}/")
    second.wait("() => glyphcast.state === 'server full'")
    status = second.status_text()
    assert "full" in status and "trying again in" in status
    # It does not hammer the server: the next try is at least 10 s away.
    time.sleep(1.5)
    assert second.eval("() => glyphcast.stats.reconnects") == 0
    assert first.eval("() => glyphcast.state") == "live"


def test_screenshot_of_the_demo(server_factory, open_viewer):
    """Not an assertion on pixels: an artifact to look at (and docs/viewer.png's source)."""
    server = server_factory()
    viewer = open_viewer(f"{server.http_url}/", width=1100, height=620)
    viewer.wait_live()
    viewer.page.wait_for_timeout(1500)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "viewer.png"
    viewer.page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000


def test_window_resize_scales_the_font_not_the_grid(server_factory, open_viewer):
    server = server_factory()
    viewer = open_viewer(f"{server.http_url}/", width=1200, height=700)
    viewer.wait_live()
    fit = """() => { const v = glyphcast, t = v.terminal;
        const stage = t.element.parentElement.getBoundingClientRect();
        const grid = t.element.querySelector('.xterm-screen').getBoundingClientRect();
        return {cols: t.cols, rows: t.rows, font: t.options.fontSize, width: v.width, height: v.height,
                fits: grid.width <= stage.width + 0.5 && grid.height <= stage.height + 0.5,
                fill: Math.max(grid.width / stage.width, grid.height / stage.height)}; }"""
    big = viewer.eval(fit)
    viewer.page.set_viewport_size({"width": 600, "height": 400})
    viewer.wait("(font) => glyphcast.terminal.options.fontSize < font", big["font"])
    small = viewer.eval(fit)
    for state in (big, small):
        assert (state["cols"], state["rows"]) == (state["width"], state["height"])
        assert state["fits"], state
        assert state["fill"] > 0.8, f"the grid should fill most of the window: {state}"


def test_text_can_be_selected_and_copied(server_factory, open_viewer):
    server = server_factory()
    viewer = open_viewer(f"{server.http_url}/")
    viewer.wait_live()
    viewer.eval("() => glyphcast.close()")  # hold still
    snap = viewer.snapshot()
    selected = viewer.eval(
        "() => { glyphcast.terminal.selectAll(); return glyphcast.terminal.getSelection(); }"
    )
    copied = [line.rstrip() for line in selected.split("\n")]
    assert copied[: len(snap["rows"])] == snap["rows"]
