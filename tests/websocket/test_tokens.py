"""Where a display's tokens come from, and what its addresses say: option, file, environment, or one per run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import glyphcast
import pytest
from glyphcast import DisplayError
from glyphcast_websocket import tokens
from glyphcast_websocket.testing import CONTROL_TOKEN, connect, receive
from hub_fixtures import open_hub_display
from websockets.exceptions import InvalidStatus

JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def no_token_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(tokens.CONTROL_ENV, raising=False)
    monkeypatch.delenv(tokens.VIEW_ENV, raising=False)


def test_without_a_control_token_each_run_makes_one_shared_by_its_displays() -> None:
    first = open_hub_display("websocket", port=0)
    second = open_hub_display("websocket-json", port=0)
    token = first.settings.control_token
    assert len(token) >= 32 and token == second.settings.control_token == tokens.run_control_token()
    assert first.controller_url == f"{first.local_url}#control={token}"
    first.cleanup()
    second.cleanup()


def test_a_control_token_from_a_file_or_the_environment_keeps_it_out_of_argv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "control"
    secret.write_text("from-a-file-long-enough-to-be-a-token\n")
    display = open_hub_display(f"websocket:port=0,control_token_file={secret}")
    assert display.settings.control_token == "from-a-file-long-enough-to-be-a-token"
    monkeypatch.setenv(tokens.CONTROL_ENV, "from-the-environment-long-enough-for-a-token")
    monkeypatch.setenv(tokens.VIEW_ENV, "view-from-the-environment-long-enough")
    display = open_hub_display("websocket:port=0")
    assert display.settings.control_token == "from-the-environment-long-enough-for-a-token"
    assert display.settings.token == "view-from-the-environment-long-enough"
    assert display.url.endswith("/#token=view-from-the-environment-long-enough")


def test_unusable_token_options_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(DisplayError, match="cannot read .*missing"):
        glyphcast.open_display(f"websocket:port=0,control_token_file={tmp_path / 'missing'}")
    empty = tmp_path / "empty"
    empty.write_text("  \n")
    with pytest.raises(DisplayError, match="is empty"):
        glyphcast.open_display(f"websocket:port=0,token_file={empty}")
    with pytest.raises(DisplayError, match="not both"):
        glyphcast.open_display(f"websocket:port=0,control_token={CONTROL_TOKEN},control_token_file={empty}")
    with pytest.raises(DisplayError, match="must differ"):
        glyphcast.open_display(f"websocket:port=0,token={CONTROL_TOKEN},control_token={CONTROL_TOKEN}")
    with pytest.raises(DisplayError, match="certfile and keyfile"):
        glyphcast.open_display(f"websocket:port=0,certfile={empty}")


def test_control_false_means_nobody_controls(open_hub: Any) -> None:
    display = open_hub(control=False)
    assert display.settings.control_token == "" and display.controller_url is None
    with connect(display, JSON) as ws:
        assert receive(ws)["role"] == "viewer"
    with pytest.raises(InvalidStatus) as refused:  # no token makes a controller: a token is a wrong one
        with connect(display, JSON, token=tokens.run_control_token()):
            pass
    assert refused.value.response.status_code == 403


def test_the_control_token_makes_a_controller_and_nothing_else_does(open_hub: Any) -> None:
    display = open_hub(control_token=CONTROL_TOKEN)
    with connect(display, JSON, control=True) as controller, connect(display, JSON) as viewer:
        assert receive(controller)["role"] == "controller"
        assert receive(viewer)["role"] == "viewer"


# -- tokens too short to be secret ----------------------------------------------------------------
def test_a_short_token_is_refused_at_start_with_one_line_that_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    short = tmp_path / "short"
    short.write_text("hunter2\n")
    for spec in (
        "websocket:port=0,control_token=short",
        "websocket:port=0,token=0123456789abcdef",  # 64 bits of hex
        f"websocket-json:port=0,control_token_file={short}",
    ):
        with pytest.raises(DisplayError) as refused:
            glyphcast.open_display(spec)
        message = str(refused.value)
        assert "\n" not in message and "bits; use at least 128 bits" in message, message
        assert "secrets.token_urlsafe(24)" in message
    monkeypatch.setenv(tokens.CONTROL_ENV, "password1")
    with pytest.raises(DisplayError, match="control_token is .* bits"):
        glyphcast.open_display("websocket:port=0")


def test_the_cli_refuses_a_short_token_before_serving_anything() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "glyphcast",
            "run",
            "--frames",
            "1",
            "--display",
            "websocket:port=0,control_token=short",
        ],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("glyphcast: error: control_token is "), result.stderr
    assert "use at least 128 bits" in lines[0] and "short" not in lines[0].partition("control_token")[2]
    assert "serving" not in result.stderr + result.stdout


def test_the_token_variables_are_secrets_no_program_glyphcast_starts_inherits() -> None:
    """The pty source starts programs with glyphcast.environment.without_secrets (tests/pty/test_secrets.py)."""
    from glyphcast.environment import is_secret, without_secrets

    assert is_secret(tokens.CONTROL_ENV) and is_secret(tokens.VIEW_ENV)
    assert without_secrets({tokens.CONTROL_ENV: "a", tokens.VIEW_ENV: "b", "HOME": "/h"}) == {"HOME": "/h"}
