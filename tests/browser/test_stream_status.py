"""What the viewer shows about its stream, in real Chromium against a real hub (protocol v1.1):
the end of the stream (and that it then stays away), who else watches, and the stream's name.

Most tests run the hub in the test process (``open_display("websocket", port=0)``),
so they decide when the stream ends and who connects, and count every
connection that reaches the server through the display's connected callback.
The last ones run ``glyphcast`` itself and stop it as a user would: ``run
--frames``, and ``share`` stopped with SIGTERM.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import glyphcast
import pytest
from browser_fixtures import ARTIFACTS, ROOT, free_port, glyphcast_cli
from glyphcast_websocket import HubDisplay
from glyphcast_websocket.testing import CONTROL_TOKEN, connect, receive_until, wait_for

pytestmark = pytest.mark.timeout(120)


class Hub:
    """A hub display and every client connection that reached it."""

    def __init__(self, display: HubDisplay):
        self.display = display
        self.connections: list[glyphcast.ClientInfo] = []
        self._lock = threading.Lock()
        display.set_client_connected_callback(self._connected)

    def _connected(self, client: glyphcast.ClientInfo) -> None:
        with self._lock:
            self.connections.append(client)

    @property
    def connected(self) -> int:
        with self._lock:
            return len(self.connections)

    @property
    def url(self) -> str:
        return self.display.page_url


@pytest.fixture
def open_hub(viewer_built: None) -> Iterator[Any]:
    opened: list[HubDisplay] = []

    def make(**options: Any) -> Hub:
        display = glyphcast.open_display("websocket", host="127.0.0.1", **{"port": 0, **options})
        assert isinstance(display, HubDisplay)
        opened.append(display)
        display.init(20, 3)
        return Hub(display)

    yield make
    for display in opened:
        display.cleanup()


def status_part(viewer: Any, name: str) -> str | None:
    """The text of one part of the status bar (``.gc-NAME``), or None when it is not shown."""
    return viewer.eval(
        "(name) => document.querySelector(`.gc-status .gc-${name}`)?.textContent ?? null", name
    )


def test_the_end_is_shown_with_its_reason_and_the_viewer_does_not_reconnect(open_hub, open_viewer):
    hub = open_hub()
    hub.display.show(["$ make", "done"])
    viewer = open_viewer(hub.url)
    viewer.wait_live()
    assert viewer.wait("() => glyphcast.rows()[1] === 'done'")
    assert hub.connected == 1

    hub.display.end("program exited with status 0")

    viewer.wait("() => glyphcast.state === 'ended'")
    notice = viewer.page.locator(".gc-notice")
    assert notice.is_visible()
    assert notice.inner_text() == "stream ended: program exited with status 0"
    assert "stream ended: program exited with status 0" in viewer.status_text()
    assert viewer.eval("() => glyphcast.ended.reason") == "program exited with status 0"
    # The final screen stays up under the notice.
    assert viewer.eval("() => glyphcast.rows()")[:2] == ["$ make", "done"]

    # The server would take a new connection (the stream lingers: a late joiner gets the end),
    # so a reconnect would show up here. None comes.
    viewer.page.wait_for_timeout(3000)
    assert hub.connected == 1
    assert hub.display.room is not None and hub.display.room.sessions == ()
    assert viewer.eval("() => [glyphcast.state, glyphcast.stats.reconnects]") == ["ended", 0]
    assert notice.is_visible()
    assert viewer.errors == []


def test_the_viewer_count_follows_a_second_client(open_hub, open_viewer):
    hub = open_hub(control_token=CONTROL_TOKEN)
    hub.display.show(["watched"])
    viewer = open_viewer(hub.url)
    viewer.wait_live()
    viewer.wait("() => document.querySelector('.gc-status .gc-viewers')?.textContent === '1 viewer'")
    with connect(hub.display, "glyphcast.json.v1", control=True) as second:
        receive_until(second, "hello")
        viewer.wait(
            "() => document.querySelector('.gc-status .gc-viewers')?.textContent === '2 viewers (1 controlling)'"
        )
        assert viewer.eval("() => glyphcast.presence") == {"viewers": 2, "controllers": 1}
    viewer.wait("() => document.querySelector('.gc-status .gc-viewers')?.textContent === '1 viewer'")
    assert hub.connected == 2
    assert viewer.errors == []


def test_a_named_stream_is_named_in_the_status_bar_and_the_title(open_hub, open_viewer):
    port = free_port()
    main = open_hub(port=port)
    talk = open_hub(port=port, stream="talk")
    main.display.show(["main stream"])
    talk.display.show(["the talk"])

    viewer = open_viewer(talk.url)
    viewer.wait_live()
    assert viewer.eval("() => glyphcast.stream") == "talk"
    assert status_part(viewer, "stream") == "stream talk"
    assert viewer.page.title() == "talk · glyphcast"
    assert viewer.eval("() => glyphcast.rows()[0]") == "the talk"

    # With several streams `/` lists them; the main stream's page is also at /s/main/.
    on_main = open_viewer(f"{main.display.local_url}s/main/")
    on_main.wait_live()
    assert on_main.eval("() => glyphcast.stream") == "main"
    assert status_part(on_main, "stream") is None  # one stream, or the main one: no name to show
    assert on_main.page.title() == "glyphcast"
    assert viewer.errors == on_main.errors == []


def test_a_producer_that_is_not_heard_from_is_shown_instead_of_live_also_to_a_viewer_that_joins(
    open_hub, open_viewer
):
    """Protocol v1.2 ``producer``: what a Redis edge says when its producer went silent or Redis is away."""
    hub = open_hub()
    hub.display.show(["the last screen"])
    viewer = open_viewer(hub.url)
    viewer.wait_live()
    assert status_part(viewer, "state") == "● live"

    hub.display.producer("stalled")
    viewer.wait("() => document.querySelector('.gc-status .gc-state')?.textContent === '● stalled'")
    assert viewer.eval("() => [glyphcast.state, glyphcast.producer]") == ["live", "stalled"]
    assert viewer.eval("() => glyphcast.rows()[0]") == "the last screen"  # the screen stays up
    colour = "() => getComputedStyle(document.querySelector('.gc-status .gc-state')).color"
    assert viewer.eval(colour) != "rgb(95, 215, 95)"  # not the live green

    joiner = open_viewer(hub.url)  # told on joining, since the producer is not live
    joiner.wait_live()
    joiner.wait("() => document.querySelector('.gc-status .gc-state')?.textContent === '● stalled'")

    hub.display.producer("reconnecting")
    for page in (viewer, joiner):
        page.wait("() => document.querySelector('.gc-status .gc-state')?.textContent === '● reconnecting'")

    hub.display.producer("live")
    hub.display.show(["moving again"])
    for page in (viewer, joiner):
        page.wait("() => document.querySelector('.gc-status .gc-state')?.textContent === '● live'")
        page.wait("() => glyphcast.rows()[0] === 'moving again'")
    assert viewer.eval(colour) == "rgb(95, 215, 95)"
    assert viewer.errors == joiner.errors == []


# -- glyphcast itself, stopped on purpose ---------------------------------------------------


class Command:
    """``glyphcast ARGS --display websocket:host=127.0.0.1,port=P`` as a process of its own."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log = ARTIFACTS / f"command-{self.port}.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    *glyphcast_cli(),
                    *args[:1],
                    "--display",
                    f"websocket:host=127.0.0.1,port={self.port}",
                    *args[1:],
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=ROOT,
                start_new_session=True,
            )
        assert wait_for(self._ready, timeout=20), f"glyphcast never served: {self.output()}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}healthz", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def command(viewer_built: None) -> Iterator[Any]:
    started: list[Command] = []

    def start(*args: str) -> Command:
        started.append(Command(*args))
        return started[-1]

    yield start
    for process in started:
        process.stop()


def shows_the_end(viewer: Any, reason: str) -> None:
    viewer.wait("() => glyphcast.state === 'ended'", timeout=30)
    notice = viewer.page.locator(".gc-notice")
    assert notice.is_visible() and notice.inner_text() == f"stream ended: {reason}"
    viewer.page.wait_for_timeout(2000)  # a reconnect would show up in the stats
    assert viewer.eval("() => [glyphcast.state, glyphcast.stats.reconnects]") == ["ended", 0]
    assert viewer.errors == []


def test_a_run_stopped_at_its_frame_limit_shows_stream_ended_instead_of_reconnecting(command, open_viewer):
    """Before: the viewer was closed with 1001 and said "reconnecting…" forever."""
    run = command("run", "--source", "demo", "--fps", "20", "--frames", "200")
    viewer = open_viewer(run.url)
    viewer.wait_live()
    shows_the_end(viewer, "stopped after 200 frames (--frames)")
    assert run.proc.wait(20) == 0, run.output()


def test_share_stopped_by_sigterm_shows_stream_ended_instead_of_reconnecting(command, open_viewer):
    share = command("share", "--", "sh", "-c", "echo shared; sleep 600")
    viewer = open_viewer(share.url)
    viewer.wait_live()
    viewer.wait("() => glyphcast.rows()[0] === 'shared'")
    share.proc.send_signal(signal.SIGTERM)
    shows_the_end(viewer, "terminated (SIGTERM)")
    assert share.proc.wait(20) == 128 + signal.SIGTERM, share.output()
