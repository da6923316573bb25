"""The Python API says where the viewer is, once per server: INFO on ``glyphcast.websocket``, or stderr without logging."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import glyphcast
import pytest
from hub_fixtures import open_hub_display

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
    messages = [r.getMessage() for r in caplog.records if r.name == "glyphcast.websocket" and r.levelno == logging.INFO]
    assert messages.count(f"serving {first.url}") == 1
    controller = [m for m in messages if m.startswith("to control it, open ")]
    assert first.controller_url is not None
    assert len(controller) == 1 and first.controller_url in controller[0]


def test_without_a_control_token_only_the_viewer_is_announced(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="glyphcast.websocket")
    display = open_hub_display("websocket", port=0, control=False)
    display.init(10, 3)
    display.cleanup()
    messages = [r.getMessage() for r in caplog.records if r.name == "glyphcast.websocket" and r.levelno == logging.INFO]
    assert messages == [f"serving {display.url}"]


def test_a_script_without_logging_prints_the_urls(tmp_path: Path) -> None:
    script = (
        "from glyphcast import open_displays\n"
        "with open_displays(['websocket:port=0']) as d:\n"
        "    d.init(10, 3)\n"
        "    d.show(['x'] * 3)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("glyphcast: websocket: serving http://127.0.0.1:") == 1
    assert result.stderr.count("glyphcast: websocket: to control it, open http://127.0.0.1:") == 1


def test_the_cli_prints_the_urls_once(tmp_path: Path) -> None:
    """``glyphcast run`` prints the addresses itself; the display's INFO lines stay below its WARNING level."""
    result = subprocess.run(
        [str(GLYPHCAST), "run", "--frames", "3", "--display", "websocket:port=0"],
        cwd=tmp_path, capture_output=True, text=True, timeout=20,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("serving http://") == 1, result.stderr
    assert result.stderr.count("to control it, open") == 1, result.stderr
