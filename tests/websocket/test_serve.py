"""``glyphcast serve`` as a real process: every stream has a control token of its own.

Whoever controls one stream must not control the others, so one token for
several streams (``GLYPHCAST_CONTROL_TOKEN``, or ``control_token`` in
``--display``) is refused in one line; streams get a random token each (printed
with each stream) or one from a file each (``--control-token-file NAME=PATH``).
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from glyphcast.clock import FakeClock
from glyphcast.commandline import EXIT_OK
from glyphcast_websocket.serve import serve as serve_streams
from glyphcast_websocket.testing import connect, receive
from websockets.exceptions import InvalidStatus

JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(60)


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLYPHCAST_")}
    env.update(extra)
    return env


def serve(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "glyphcast", "serve", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=cli_env(**env),
        stdin=subprocess.DEVNULL,
    )


@contextmanager
def serving(*args: str, streams: int, **env: str) -> Iterator[tuple[int, dict[str, str]]]:
    """``glyphcast serve ARGS`` on a free port; yields the port and each stream's control token, as printed."""
    server = subprocess.Popen(
        [sys.executable, "-m", "glyphcast", "serve", *args, "--display", "websocket:port=0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=cli_env(**env),
    )
    assert server.stderr is not None
    try:
        printed = ""
        while printed.count("#control=") < streams:
            line = server.stderr.readline()
            assert line, f"glyphcast serve exited: {printed}"
            printed += line
        port = int(re.findall(r"http://127\.0\.0\.1:(\d+)/", printed)[0])
        links = dict(re.findall(r"open http://127\.0\.0\.1:\d+/s/([\w-]+)/#control=([\w-]+)", printed))
        yield port, links
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        server.stderr.close()


def role(port: int, stream: str, token: str | None) -> str:
    """The role the hub gives ``token`` on ``stream`` ("refused" for a 403)."""
    try:
        with connect(f"ws://127.0.0.1:{port}/s/{stream}/ws", JSON, token=token) as ws:
            return str(receive(ws)["role"])
    except InvalidStatus as refused:
        assert refused.response.status_code == 403
        return "refused"


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_one_control_token_from_the_environment_for_several_streams_is_refused_in_one_line() -> None:
    result = serve(
        "--stream",
        "a=demo",
        "--stream",
        "b=demo",
        "--display",
        "websocket:port=0",
        "--duration",
        "5",
        GLYPHCAST_CONTROL_TOKEN=secrets.token_urlsafe(24),
    )
    assert result.returncode == 2
    line = one_line(result)
    assert "GLYPHCAST_CONTROL_TOKEN would give streams a, b one control token" in line
    assert "--control-token-file NAME=PATH" in line


def test_one_control_token_in_the_display_option_for_several_streams_is_refused() -> None:
    result = serve(
        "--stream",
        "a=demo",
        "--stream",
        "b=demo",
        "--duration",
        "5",
        "--display",
        f"websocket:port=0,control_token={secrets.token_urlsafe(24)}",
    )
    assert result.returncode == 2
    assert "control_token in --display websocket would give streams a, b one control token" in one_line(
        result
    )


def test_each_stream_gets_a_random_control_token_that_controls_it_alone() -> None:
    with serving("--stream", "a=demo", "--stream", "b=demo:seed=2", streams=2) as (port, links):
        assert set(links) == {"a", "b"} and links["a"] != links["b"]
        assert role(port, "a", links["a"]) == "controller" and role(port, "b", links["b"]) == "controller"
        assert role(port, "b", links["a"]) == "refused"


def test_control_token_files_give_each_stream_its_own_token_even_with_the_environment_set(
    tmp_path: Path,
) -> None:
    own = {name: secrets.token_urlsafe(24) for name in ("a", "b")}
    for name, token in own.items():
        (tmp_path / name).write_text(token + "\n")
    with serving(
        "--stream",
        "a=demo",
        "--stream",
        "b=demo",
        "--control-token-file",
        f"a={tmp_path / 'a'}",
        "--control-token-file",
        f"b={tmp_path / 'b'}",
        streams=2,
        GLYPHCAST_CONTROL_TOKEN=secrets.token_urlsafe(24),
    ) as (port, links):
        assert links == own
        assert role(port, "a", own["a"]) == "controller" and role(port, "b", own["a"]) == "refused"


def test_with_one_stream_the_environment_token_is_its_control_token() -> None:
    token = secrets.token_urlsafe(24)
    with serving("--stream", "solo=demo", streams=1, GLYPHCAST_CONTROL_TOKEN=token) as (port, links):
        assert links == {"solo": token}
        assert role(port, "solo", token) == "controller"


def test_a_control_token_file_for_a_stream_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    result = serve("--stream", "a=demo", "--control-token-file", f"typo={tmp_path / 'x'}", "--duration", "5")
    assert result.returncode == 2
    assert "--control-token-file names no --stream: typo (the streams are a)" in one_line(result)


def test_serve_prints_the_address_that_lists_its_streams_and_it_does() -> None:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "glyphcast",
            "serve",
            "--stream",
            "a=demo",
            "--stream",
            "b=demo",
            "--port",
            "0",
            "--duration",
            "30",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=cli_env(),
    )
    assert server.stderr is not None
    try:
        printed = ""
        while "listed at" not in printed:
            line = server.stderr.readline()
            assert line, f"glyphcast serve exited: {printed}"
            printed += line
        index = re.search(
            r"glyphcast: websocket: the streams are listed at (http://127\.0\.0\.1:\d+/)\n", printed
        )
        assert index, printed
        with urllib.request.urlopen(index[1], timeout=10) as response:
            page = response.read().decode()
        assert 's/a/">a</a>' in page and 's/b/">b</a>' in page, page
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        server.stderr.close()


def test_serve_stops_after_duration_seconds_of_its_clock_and_serves_its_streams_until_then(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In-process, on a FakeClock that another thread advances once serve() waits on it (serve runs on
    the main thread: it sets a SIGTERM handler)."""
    clock = FakeClock()
    seen: dict[str, object] = {}

    def steps() -> None:
        seen["waiting"] = clock.until(lambda c: len(c.waiting) == 1) and clock.waiting
        printed = capsys.readouterr().err  # serve() prints where each stream is, then waits
        port = re.search(r"serving http://127.0.0.1:(\d+)/s/a/", printed)
        seen["roles"] = port and [role(int(port[1]), name, None) for name in ("a", "b")]
        clock.advance(12.5)

    driver = threading.Thread(target=steps, daemon=True)
    driver.start()
    code = serve_streams(
        [("a", "demo"), ("b", "demo")], ["websocket:port=0"], size=(20, 5), fps=10, duration=12.5, clock=clock
    )
    driver.join(5)
    assert code == EXIT_OK
    assert seen == {"waiting": [12.5], "roles": ["viewer", "viewer"]}
