"""Start, stop, port in use, shared ports; HTTP on the same port."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import glyphcast
import pytest
from glyphcast import DisplayError
from glyphcast_websocket import WebSocketDisplay
from glyphcast_websocket.assets import Assets
from glyphcast_websocket.testing import VIEW_TOKEN, connect, expect_close, http_get, receive
from hub_fixtures import free_port, open_hub_display

JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(30)


def can_listen(port: int) -> bool:
    """Whether a server could listen on ``port`` now (SO_REUSEADDR, as every server sets it:
    closed connections may linger in TIME_WAIT, a live listener may not)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
    return True


def test_cleanup_closes_clients_with_1001_and_frees_the_port_within_2s(open_hub: Any) -> None:
    display = open_hub()
    port = display.port
    with connect(display, JSON) as ws:
        receive(ws)
        started = time.monotonic()
        display.cleanup()
        took = time.monotonic() - started
        assert expect_close(ws)[0] == 1001
    assert took < 2.0
    assert can_listen(port)  # the listener is gone: a new server binds right away
    again = WebSocketDisplay(port=port)
    again.init(10, 2)
    again.cleanup()
    assert display.hub is None
    display.cleanup()  # twice is fine


def test_port_in_use_is_a_one_line_error_naming_the_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        display = WebSocketDisplay(port=port)
        with pytest.raises(DisplayError) as error:
            display.init(10, 2)
        text = str(error.value)
        assert f"127.0.0.1:{port}" in text and "in use" in text and "\n" not in text
        display.cleanup()


def test_url_and_port_are_the_bound_ones_with_port_0(open_hub: Any) -> None:
    display = open_hub()
    assert display.port > 0
    assert display.url == f"http://127.0.0.1:{display.port}/"
    assert display.get_ws_port() == display.get_http_port() == display.port


def test_displays_on_one_port_share_a_server_and_the_last_one_stops_it() -> None:
    port = free_port()
    first = open_hub_display("websocket", port=port)
    second = open_hub_display("websocket-json", port=port)
    other = open_hub_display("websocket-json", port=0)
    try:
        for display in (first, second, other):
            display.init(10, 2)
        assert first.hub is second.hub and other.hub is not first.hub
        hub = first.hub
        assert hub is not None
        first.cleanup()
        with connect(second, JSON) as ws:  # still served: second holds the hub
            assert receive(ws)["type"] == "hello"
        second.cleanup()
        assert not hub.thread.alive
        assert can_listen(port)
    finally:
        for display in (first, second, other):
            display.cleanup()


def test_displays_sharing_a_port_must_agree_on_security_options() -> None:
    port = free_port()
    first = glyphcast.open_display("websocket", port=port)
    second = glyphcast.open_display("websocket-json", port=port, token=VIEW_TOKEN)
    try:
        first.init(10, 2)
        with pytest.raises(DisplayError, match="share one set of options"):
            second.init(10, 2)
    finally:
        first.cleanup()
        second.cleanup()


# -- HTTP -----------------------------------------------------------------------
def test_root_serves_the_packaged_viewer_with_content_types(open_hub: Any, tmp_path: Path) -> None:
    display = open_hub()
    viewer = tmp_path / "viewer"
    viewer.mkdir()
    (viewer / "index.html").write_text("<!doctype html><title>v</title>")
    (viewer / "viewer.js").write_text("console.log(1)")
    (viewer / "viewer.css").write_text("body{}")
    (viewer / "glyphcast-viewer.mjs").write_text("export {}")
    display.hub.assets = Assets(viewer)
    status, headers, body = http_get(display, "/")
    assert status == 200 and body.startswith(b"<!doctype html>")
    assert headers["content-type"] == "text/html; charset=utf-8"
    for name, kind in [
        ("viewer.js", "text/javascript"),
        ("viewer.css", "text/css"),
        ("glyphcast-viewer.mjs", "text/javascript"),
    ]:
        status, headers, body = http_get(display, "/" + name)
        assert status == 200 and headers["content-type"].startswith(kind), name
        assert body == (viewer / name).read_bytes()


def test_player_is_the_asciinema_player_page_and_only_it_may_compile_webassembly(
    open_hub: Any, tmp_path: Path
) -> None:
    display = open_hub()
    (tmp_path / "index.html").write_text("<!doctype html><title>viewer</title>")
    (tmp_path / "player.html").write_text("<!doctype html><title>player</title>")
    display.hub.assets = Assets(tmp_path)
    status, headers, body = http_get(display, "/player")
    assert status == 200 and body == b"<!doctype html><title>player</title>"
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert (
        "script-src 'self' 'wasm-unsafe-eval';" in headers["content-security-policy"]
    )  # asciinema's VT is wasm
    _, viewer_headers, _ = http_get(display, "/")
    assert "wasm-unsafe-eval" not in viewer_headers["content-security-policy"]
    assert "script-src 'self';" in viewer_headers["content-security-policy"]


def test_healthz_reports_clients_per_codec_frames_and_uptime(open_hub: Any) -> None:
    display = open_hub()
    display.show(["a"])
    display.show(["b"])
    with connect(display, JSON) as ws:
        receive(ws)
        status, headers, body = http_get(display, "/healthz")
    health = json.loads(body)
    assert status == 200 and headers["content-type"] == "application/json"
    # every installed codec is listed; only the JSON one has a client
    assert {codec: n for codec, n in health["clients"].items() if n} == {JSON: 1}
    assert JSON in health["clients"] and health["clients_total"] == 1
    assert health["frames"] == 2 and health["uptime_s"] >= 0


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/../pyproject.toml",
        "/..%2f..%2fhub.py",
        "/%2e%2e/hub.py",
        "/viewer/../hub.py",
        "//etc/passwd",
        "/.gitignore",
        "/hub.py",
        "/__init__.py",
    ],
)
def test_unknown_paths_and_traversal_attempts_get_404(open_hub: Any, path: str) -> None:
    display = open_hub()
    status, _, body = http_get(display, path)
    assert status in (400, 404)
    assert b"import" not in body and b"root:" not in body


def test_no_directory_listing(open_hub: Any, tmp_path: Path) -> None:
    display = open_hub()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.js").write_text("1")
    (tmp_path / "index.html").write_text("i")
    display.hub.assets = Assets(tmp_path)
    assert http_get(display, "/sub")[0] == 404
    assert http_get(display, "/sub/")[0] == 404
    assert http_get(display, "/sub/a.js")[0] == 200


def test_without_a_built_viewer_root_says_how_to_build_it_and_ws_still_works(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import glyphcast_websocket.hub as hub_module

    monkeypatch.setattr(hub_module, "Assets", lambda: Assets(tmp_path / "missing"))
    display = WebSocketDisplay(port=0)
    try:
        display.init(10, 2)
        warnings = [r for r in caplog.records if "viewer was not built" in r.getMessage()]
        assert len(warnings) == 1
        status, _, body = http_get(display, "/")
        assert status == 200 and b"make viewer" in body
        with connect(display, JSON) as ws:
            assert receive(ws)["type"] == "hello"
    finally:
        display.cleanup()


def test_cli_style_options_are_converted_by_the_display_factory() -> None:
    display = open_hub_display(
        "websocket-json:port=0,allow_origin=http://a.example,http://b.example,max_clients=3,token=a-view-token-long-enough-to-pass"
    )
    assert display.settings.allow_origin == ("http://a.example", "http://b.example")
    assert display.settings.max_clients == 3 and display.settings.token == "a-view-token-long-enough-to-pass"
    assert display.subprotocols == {JSON} and display.name == "websocket-json"
    display.cleanup()


def _reuse_port_listener() -> socket.socket:
    """A listener on a free port with SO_REUSEPORT set, as another edge process's hub would hold it."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_reuse_port_shares_a_port_another_process_listens_on_and_serves_there() -> None:
    with _reuse_port_listener() as other:
        port = other.getsockname()[1]
        display = open_hub_display("websocket", port=port, reuse_port="true")
        try:
            display.init(10, 2)
            assert display.port == port
            other.close()  # the other "edge" goes away: every new viewer now reaches this one
            with connect(display, JSON) as ws:
                assert receive(ws)["type"] == "hello"
        finally:
            display.cleanup()


def test_without_reuse_port_a_shared_port_is_refused_as_in_use() -> None:
    with _reuse_port_listener() as other:
        port = other.getsockname()[1]
        display = WebSocketDisplay(port=port)
        with pytest.raises(DisplayError, match="in use"):
            display.init(10, 2)
        display.cleanup()
