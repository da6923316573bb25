"""The Python API says where the viewer is, once per server: INFO on ``glyphcast.websocket``, or stderr without logging."""

from __future__ import annotations

import http.client
import logging
import re
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import glyphcast
import pytest
from glyphcast_websocket.hosts import address_users_open
from hub_fixtures import make_certificate, open_hub_display

pytestmark = pytest.mark.timeout(30)

GLYPHCAST = Path(sys.executable).parent / "glyphcast"


def test_start_logs_the_viewer_and_controller_urls_once_per_server(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="glyphcast.websocket")
    first = open_hub_display("websocket", port=0)
    first.init(10, 3)
    try:
        second = glyphcast.open_display("websocket", port=first.port)  # shares the first one's server
        second.init(10, 3)
        second.cleanup()
    finally:
        first.cleanup()
    messages = [
        r.getMessage()
        for r in caplog.records
        if r.name == "glyphcast.websocket" and r.levelno == logging.INFO
    ]
    assert messages.count(f"serving {first.url}") == 1
    controller = [m for m in messages if m.startswith("to control it, open ")]
    assert first.controller_url is not None
    assert len(controller) == 1 and first.controller_url in controller[0]


def test_without_a_control_token_only_the_viewer_is_announced(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="glyphcast.websocket")
    display = open_hub_display("websocket", port=0, control=False)
    display.init(10, 3)
    display.cleanup()
    messages = [
        r.getMessage()
        for r in caplog.records
        if r.name == "glyphcast.websocket" and r.levelno == logging.INFO
    ]
    assert messages == [f"serving {display.url}"]


def test_a_script_without_logging_prints_the_urls(tmp_path: Path) -> None:
    script = (
        "from glyphcast import open_displays\n"
        "with open_displays(['websocket:port=0']) as d:\n"
        "    d.init(10, 3)\n"
        "    d.show(['x'] * 3)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=20
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("glyphcast: websocket: serving http://127.0.0.1:") == 1
    assert result.stderr.count("glyphcast: websocket: to control it, open http://127.0.0.1:") == 1


def test_the_cli_prints_the_urls_once(tmp_path: Path) -> None:
    """``glyphcast run`` prints the addresses itself; the display's INFO lines stay below its WARNING level."""
    result = subprocess.run(
        [str(GLYPHCAST), "run", "--frames", "3", "--display", "websocket:port=0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("serving http://") == 1, result.stderr
    assert result.stderr.count("to control it, open") == 1, result.stderr


@pytest.mark.parametrize(
    ("local", "allowed", "public", "opened"),
    [
        ("http://127.0.0.1:8765/", (), "", "http://127.0.0.1:8765/"),
        (
            "http://127.0.0.1:8765/",
            ("example.org",),
            "",
            "http://127.0.0.1:8765/",
        ),  # a proxy's name: loopback works
        ("https://127.0.0.1:8443/", (), "", "https://127.0.0.1:8443/"),
        ("https://0.0.0.0:8443/", ("*", "live.example.org"), "", "https://live.example.org:8443/"),
        ("https://127.0.0.1:443/", ("live.example.org",), "", "https://live.example.org/"),
        ("https://0.0.0.0:8443/", ("live.example.org:9443",), "", "https://live.example.org:9443/"),
        (
            "http://10.0.0.11:8765/",
            ("*.example.org", "view.example.org"),
            "",
            "http://view.example.org:8765/",
        ),
        (
            "http://10.0.0.11:8765/",
            ("view.example.org",),
            "https://view.example.org:8443/",
            "https://view.example.org:8443/",
        ),
    ],
)
def test_the_address_users_open_is_the_name_they_must_use(
    local: str, allowed: tuple[str, ...], public: str, opened: str
) -> None:
    assert address_users_open(local, allowed, public) == opened


def test_under_tls_the_printed_address_is_the_certificates_name_and_it_answers(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path, "glyphcast.example.org")
    server = subprocess.Popen(
        [
            str(GLYPHCAST),
            "run",
            "--duration",
            "30",
            "--port",
            "0",
            "--display",
            f"websocket:allowed_hosts=glyphcast.example.org,certfile={cert},keyfile={key}",
        ],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert server.stderr is not None
        printed = ""
        while (
            "#control=" not in printed
        ):  # after a warning when the viewer is not built (tox's websocket env)
            line = server.stderr.readline()
            assert line, f"glyphcast exited: {printed}"
            printed += line
        found = re.search(r"serving https://glyphcast\.example\.org:(\d+)/\n", printed)
        assert found, printed
        assert f"open https://glyphcast.example.org:{found[1]}/#control=" in printed
        # What a browser that resolves the name to this machine asks: SNI and Host are the printed name.
        context = ssl.create_default_context(cafile=str(cert))
        connection = http.client.HTTPSConnection("127.0.0.1", int(found[1]), context=context, timeout=10)
        connection.sock = context.wrap_socket(
            socket.create_connection(("127.0.0.1", int(found[1])), timeout=10),
            server_hostname="glyphcast.example.org",
        )
        connection.request("GET", "/healthz", headers={"Host": f"glyphcast.example.org:{found[1]}"})
        assert connection.getresponse().status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
