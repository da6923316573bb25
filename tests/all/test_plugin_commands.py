"""glyphcast's own plugins bring their commands: ``share`` (glyphcast-pty), ``replay`` (glyphcast-record)
and ``serve`` (glyphcast-websocket), each there exactly when its plugin is."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

PLUGIN_OF = {"share": "pty", "replay": "record", "serve": "websocket"}


def glyphcast_help(disabled: str = "") -> list[str]:
    """The commands ``glyphcast --help`` lists, with the plugins (entry-point names) in ``disabled`` off."""
    result = subprocess.run(
        [sys.executable, "-m", "glyphcast", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "GLYPHCAST_DISABLE_PLUGINS": disabled},
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return re.findall(r"^    ([a-z][\w-]*)(?:\s|$)", result.stdout, re.M)


def test_with_every_plugin_help_lists_share_replay_and_serve_between_run_and_plugins() -> None:
    assert glyphcast_help() == ["run", "replay", "serve", "share", "plugins"]


@pytest.mark.parametrize("command", sorted(PLUGIN_OF))
def test_without_its_plugin_a_command_is_absent_and_the_others_stay(command: str) -> None:
    listed = glyphcast_help(disabled=PLUGIN_OF[command])
    assert command not in listed
    assert listed == ["run", *(c for c in sorted(PLUGIN_OF) if c != command), "plugins"]
