"""What the viewer tells a person when it cannot show the stream, and what its numbers count, in real
Chromium against a real hub: a page whose origin the hub does not accept (a proxy on another port),
a hub that speaks only asciinema-player's format, and the kB/s of a compressed connection.

The "proxy" is a plain TCP relay on another loopback port: the page's origin is then
``http://127.0.0.1:RELAY``, which is not the hub's own, exactly as behind a reverse proxy on a port
the hub was not told about.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import glyphcast
import pytest
from glyphcast_websocket import HubDisplay

pytestmark = pytest.mark.timeout(120)


class Relay:
    """Every connection to ``port`` is passed byte for byte to ``target`` (a TCP proxy, nothing more)."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed: the test is over
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)
        except OSError:  # the other side went away
            return

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def hub(viewer_built: None) -> Iterator[Any]:
    opened: list[HubDisplay] = []

    def make(name: str = "websocket", **options: Any) -> HubDisplay:
        display = glyphcast.open_display(name, host="127.0.0.1", **{"port": 0, **options})
        assert isinstance(display, HubDisplay)
        opened.append(display)
        display.init(20, 3)
        display.show(["a frame", "", ""])
        return display

    yield make
    for display in opened:
        display.cleanup()


@pytest.fixture
def relay() -> Iterator[Any]:
    relays: list[Relay] = []

    def make(target: int) -> Relay:
        relays.append(Relay(target))
        return relays[-1]

    yield make
    for each in relays:
        each.close()


def test_a_page_whose_origin_the_hub_refuses_says_origin_not_allowed_and_stops(
    hub: Any, relay: Any, open_viewer: Any
) -> None:
    front = relay(hub().port)
    viewer = open_viewer(f"http://127.0.0.1:{front.port}/")
    viewer.wait("() => glyphcast.state === 'rejected'")
    notice = viewer.page.inner_text(".gc-notice")
    assert notice.startswith(
        f"origin not allowed (403): origin 'http://127.0.0.1:{front.port}' is not allowed"
    ), notice
    assert "public_url" in notice and "token" not in notice, notice
    viewer.page.wait_for_timeout(1500)
    assert viewer.eval("() => glyphcast.stats.reconnects") == 0


def test_with_the_proxys_port_in_public_url_the_same_page_is_live(
    hub: Any, relay: Any, open_viewer: Any
) -> None:
    display = hub()
    front = relay(display.port)
    display.cleanup()
    display = hub(port=display.port, public_url=f"http://127.0.0.1:{front.port}/")
    viewer = open_viewer(f"http://127.0.0.1:{front.port}/")
    viewer.wait_live()


def test_a_hub_with_only_asciinemas_format_names_it_and_its_player_never_a_codec_it_lacks(
    hub: Any, open_viewer: Any
) -> None:
    display = hub("websocket-alis")
    viewer = open_viewer(f"http://127.0.0.1:{display.port}/")
    viewer.wait("() => glyphcast.state === 'unsupported codec'")
    notice = viewer.page.inner_text(".gc-notice")
    assert notice.endswith(
        f"The server offers only v1.alis: watch it with a viewer made for that codec: asciinema-player, at "
        f"http://127.0.0.1:{display.port}/player."
    ), notice
    assert "?codec=" not in notice


@pytest.mark.parametrize("compression", [True, False])
def test_the_rate_says_decoded_when_the_wire_was_compressed_and_viewers_say_whose(
    hub: Any, open_viewer: Any, compression: bool
) -> None:
    display = hub(compression=compression)
    viewer = open_viewer(f"http://127.0.0.1:{display.port}/")
    viewer.wait_live()
    for n in range(20):
        display.show([f"frame {n}", "", ""])
    viewer.wait("() => document.querySelector('.gc-status .gc-viewers') !== null")
    rate = viewer.page.locator(".gc-status .gc-rate")
    assert rate.inner_text().endswith(" kB/s decoded" if compression else " kB/s"), rate.inner_text()
    assert ("does not tell a page" in rate.get_attribute("title")) is compression
    assert "each edge server counts only its own" in viewer.page.locator(
        ".gc-status .gc-viewers"
    ).get_attribute("title")
