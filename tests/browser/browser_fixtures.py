"""Fixtures for the viewer's browser tests: real Chromium (apt's, via
Playwright's Python API) against a real ``glyphcast run`` server.

Needs: ``client/`` built (``cd client && npm run build``), the packages
installed (core, glyphcast-websocket and the codec plugins), ``playwright``
from PyPI, and ``/usr/bin/chromium`` (or ``$GLYPHCAST_CHROMIUM``). Playwright's
own browser download is never used. Locally a missing browser skips these
tests; in CI (``CI=true``) it fails them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from glyphcast.text import strip_ansi
from glyphcast_websocket import testing

ROOT = Path(__file__).resolve().parents[2]
VIEWER_DIR = ROOT / "plugins" / "glyphcast-websocket" / "glyphcast_websocket" / "viewer"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("GLYPHCAST_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """A missing prerequisite: a failure in CI, a skip (with the reason) locally."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: browser tests must run, not skip)")
    pytest.skip(reason)


def plain(line: str) -> str:
    """A row as xterm's translateToString(true) gives it back: no escapes, right-trimmed."""
    return strip_ansi(line).rstrip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PROBE_CLI = Path(__file__).resolve().with_name("probe_cli.py")


def glyphcast_cli() -> list[str]:
    """The real CLI, with a probe plugin that prints the client hooks.

    ``$GLYPHCAST_BROWSER_CLI`` replaces it (a path to a ``glyphcast``-like
    command) to run these tests against another server.
    """
    override = os.environ.get("GLYPHCAST_BROWSER_CLI")
    if override:
        return [override]
    return [sys.executable, str(PROBE_CLI)]


class GlyphcastServer:
    """``glyphcast run --source demo --display websocket:... --display frame-log:...``.

    The ``frame-log`` display (from probe_cli.py) runs side by side with the
    hub on the same stream and logs every frame the engine shows, so
    :meth:`frame` gives the exact rows of any seq a viewer reports. The demo
    runs for ``duration`` seconds at most, so a leaked server ends by itself.

    ``display`` replaces ``websocket`` with another hub display (same options);
    ``plugins`` ({name: "file.py[:factory]"}) adds plugins that are not
    installed, through probe_cli.py's ``$GLYPHCAST_PROBE_PLUGINS``.
    """

    def __init__(
        self,
        *,
        fps: int = 30,
        duration: float = 120,
        size: str | None = None,
        options: dict[str, Any] | None = None,
        display: str = "websocket",
        plugins: dict[str, str] | None = None,
    ):
        self.port = free_port()
        self.fps = fps
        self.size = size
        self.duration = duration
        self.options = {"host": "127.0.0.1", "port": self.port, **(options or {})}
        self.display = display
        self.plugins = plugins or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.frame_logs: list[Path] = []
        self.log = ARTIFACTS / f"server-{self.port}.log"
        self.frame_log = self.log
        #: Where readiness is probed: a named stream (``stream`` option) has its /healthz under /s/NAME/.
        stream = self.options.get("stream")
        self.health_path = f"/s/{stream}/healthz" if stream and stream != "main" else "/healthz"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def command(self) -> list[str]:
        display = f"{self.display}:" + ",".join(f"{k}={v}" for k, v in self.options.items())
        cmd = [
            *glyphcast_cli(),
            "run",
            "--source",
            "demo",
            "--fps",
            str(self.fps),
            "--duration",
            str(self.duration),
            "--display",
            display,
            "--display",
            f"frame-log:path={self.frame_log}",
        ]
        return cmd + (["--size", self.size] if self.size else [])

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.plugins:
            env["GLYPHCAST_PROBE_PLUGINS"] = json.dumps(self.plugins)
        return env

    def start(self) -> GlyphcastServer:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        # seq starts again at 1 in a new process: one frame log per start.
        self.frame_log = ARTIFACTS / f"frames-{self.port}-{self.starts}.jsonl"
        self.frame_log.unlink(missing_ok=True)
        self.frame_logs.append(self.frame_log)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,
                env=self.env(),
            )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"glyphcast run exited with {self.proc.returncode}: {self.output()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(f"{self.http_url}{self.health_path}", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"glyphcast run not ready after {timeout} s: {self.output()[-2000:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def kill(self) -> None:
        """Die without a goodbye, as a crashed server would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def frame(self, seq: int, timeout: float = 5.0) -> dict[str, Any]:
        """The frame the engine showed as ``seq`` in the current run (from the frame log)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.frame_log.exists():
                # complete lines only: the engine may be writing the last one right now
                for line in self.frame_log.read_text(encoding="utf-8").split("\n")[:-1]:
                    if line.startswith(f'{{"seq": {seq},'):
                        return json.loads(line)
            if time.monotonic() > deadline:
                raise AssertionError(f"the engine never showed frame {seq} (log: {self.frame_log})")
            time.sleep(0.05)


def servers(kind: type[GlyphcastServer]) -> Iterator[Any]:
    """A fixture's body: ``make(**kwargs)`` starts a ``kind`` server; all are stopped afterwards."""
    started: list[GlyphcastServer] = []

    def make(**kwargs: Any) -> GlyphcastServer:
        server = kind(**kwargs)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()
        # Frame logs grow ~0.3 MB/s; the server log stays as the artifact.
        for log in server.frame_logs:
            log.unlink(missing_ok=True)


@pytest.fixture
def server_factory() -> Iterator[Any]:
    yield from servers(GlyphcastServer)


@pytest.fixture(scope="module")
def viewer_built() -> None:
    if not (VIEWER_DIR / "index.html").is_file():
        pytest.fail(
            f"viewer not built: {VIEWER_DIR}/index.html is missing; run `cd client && npm ci && npm run build`"
        )


# Per module, not per session: Playwright's sync API keeps an event loop running on the main
# thread while it is open, and in a whole-suite run the tests after this directory use asyncio.run().
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """apt's Chromium driven by Playwright (never Playwright's own browser download)."""
    try:
        with testing.chromium(CHROMIUM) as browser:
            yield browser
    except testing.BrowserUnavailable as missing:
        unavailable(str(missing))


@pytest.fixture(scope="module")
def browser(viewer_built: None, chromium: Any) -> Any:
    """Chromium, for tests of the viewer (which must have been built)."""
    return chromium


class ViewerPage:
    """One browser tab with the viewer, driven through ``window.glyphcast``."""

    def __init__(self, page: Any):
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda err: self.errors.append(str(err)))

    def open(self, url: str) -> ViewerPage:
        self.page.goto(url)
        self.page.wait_for_function("() => window.glyphcast !== undefined")
        return self

    def eval(self, js: str, arg: Any = None) -> Any:
        return self.page.evaluate(js, arg)

    def wait(self, js: str, arg: Any = None, timeout: float = 15.0) -> Any:
        return self.page.wait_for_function(js, arg=arg, timeout=timeout * 1000).json_value()

    def snapshot(self) -> dict[str, Any]:
        """The viewer's state in one synchronous look: the rows xterm holds are
        exactly frame ``paintedSeq`` (xterm parses whole writes, and each
        write's callback sets ``paintedSeq`` before anything else runs)."""
        return self.eval(
            """() => { const v = window.glyphcast;
            return {state: v.state, message: v.message, seq: v.seq, paintedSeq: v.paintedSeq,
                    codec: v.codec, role: v.role, width: v.width, height: v.height,
                    cols: v.terminal.cols, rows_: v.terminal.rows,
                    stats: {...v.stats}, rows: v.rows()}; }"""
        )

    def status_text(self) -> str:
        return self.page.inner_text(".gc-status")

    def wait_live(self, timeout: float = 15.0) -> None:
        self.wait("() => glyphcast.state === 'live' && glyphcast.paintedSeq !== null", timeout=timeout)


@pytest.fixture
def open_viewer(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(url: str, *, width: int = 1000, height: int = 560) -> ViewerPage:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        return ViewerPage(context.new_page()).open(url)

    yield make
    for context in contexts:
        context.close()
