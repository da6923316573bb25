"""glyphcast's secrets never reach the shared program: a sharer who types ``env`` shows viewers no token.

Every ``GLYPHCAST_*TOKEN*`` variable (and ``*SECRET*``, ``*PASSWORD*``) is
glyphcast's own: it is taken out of the environment the program in the pty
starts with, however the program is started (``glyphcast share``, the ``pty``
source, ``PtySource`` from Python).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from glyphcast_pty import PtySource
from glyphcast_pty.process import child_env
from glyphcast_websocket.testing import connect, receive, receive_until
from pty_helpers import Terminal, Watch, asciinema_cat, glyphcast_argv, program_env

TerminalFactory = Callable[..., Terminal]
JSON = "glyphcast.json.v1"
# Prints every GLYPHCAST_ variable and a harmless one next to them: the listing is short, so it is
# whole on the screen (and in every frame that follows), not scrolled past between two frames.
SHOW_ENV = "echo env-start; env | grep -e GLYPHCAST_ -e SHARED_MARK | sort; echo env-end; read line"


def tokens() -> dict[str, str]:
    """Fresh secrets under the documented names, the coming publish token, and a password."""
    return {
        "GLYPHCAST_CONTROL_TOKEN": secrets.token_urlsafe(24),
        "GLYPHCAST_TOKEN": secrets.token_urlsafe(24),
        "GLYPHCAST_PUBLISH_TOKEN": secrets.token_urlsafe(24),
        "GLYPHCAST_REDIS_PASSWORD": secrets.token_urlsafe(24),
    }


def test_a_sharer_who_types_env_shows_viewers_no_token(terminal: TerminalFactory, tmp_path: Path) -> None:
    secret = tokens()
    cast = tmp_path / "shared.cast"
    share = glyphcast_argv(
        "share",
        "--linger",
        "0",
        "--display",
        "websocket:port=0",
        "--display",
        f"record:path={cast}",
        "--",
        "sh",
        "-c",
        SHOW_ENV,
    )
    # glyphcast is started by `env` with the secrets: the sharer's terminal (a pty here) would strip them itself.
    term = terminal(
        argv=["env", *(f"{name}={value}" for name, value in secret.items()), "SHARED_MARK=visible", *share]
    )
    printed = term.read_until(lambda out: b"#control=" in out and b"env-end" in out).decode()
    port = re.search(r"serving http://127\.0\.0\.1:(\d+)/", printed)
    assert port, printed
    # A viewer (the view token lets it in) reads the screen the way every viewer does.
    with connect(f"ws://127.0.0.1:{port.group(1)}/ws", JSON, token=secret["GLYPHCAST_TOKEN"]) as ws:
        assert receive(ws)["type"] == "hello"
        frame = receive_until(ws, lambda m: m["type"] == "frame" and "env-end" in "".join(m["lines"]))
    screen = "\n".join(frame["lines"])
    assert "SHARED_MARK=visible" in screen  # the listing ran and is on the screen
    term.type("\r")
    assert term.finish() == 0
    program_output = term.text().split("env-start", 1)[1]
    recording = asciinema_cat(cast).decode()
    assert "SHARED_MARK=visible" in program_output and "SHARED_MARK=visible" in recording
    for name, value in secret.items():
        assert value not in screen, f"{name}'s value is on the viewers' screen"
        assert value not in recording, f"{name}'s value is in the recording"
        assert value not in program_output, f"{name}'s value reached the program"


def test_the_pty_source_starts_its_program_without_glyphcasts_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = tokens()
    for name, value in secret.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SHARED_MARK", "visible")
    # env=None: the program inherits this process's environment, as `glyphcast run --source pty:...` does.
    inherited = Watch(PtySource(80, 24, ["sh", "-c", SHOW_ENV.replace("; read line", "")]))
    given = Watch(
        PtySource(
            80,
            24,
            ["sh", "-c", SHOW_ENV.replace("; read line", "")],
            env={**program_env(), **secret, "SHARED_MARK": "visible"},
        )
    )
    try:
        for watched in (inherited, given):
            screen = "\n".join(watched.wait_for(lambda rows: "env-end" in rows))
            assert "SHARED_MARK=visible" in screen
            for name, value in secret.items():
                assert value not in screen and name not in screen, f"{name} reached the program"
    finally:
        inherited.source.close()
        given.source.close()


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("GLYPHCAST_CONTROL_TOKEN", False),
        ("GLYPHCAST_TOKEN", False),
        ("GLYPHCAST_PUBLISH_TOKEN", False),
        ("GLYPHCAST_CONTROL_TOKEN_FILE", False),  # a path is no secret, but nothing in the program needs it
        ("GLYPHCAST_REDIS_PASSWORD", False),
        ("GLYPHCAST_SIGNING_SECRET", False),
        ("glyphcast_token", False),
        ("GLYPHCAST_DISABLE_PLUGINS", True),
        ("GITHUB_TOKEN", True),  # the user's own variables are theirs to pass on
        ("PATH", True),
    ],
)
def test_which_variables_the_program_is_started_with(name: str, kept: bool) -> None:
    assert (name in child_env({name: "x", "PATH": "/usr/bin"})) is kept
