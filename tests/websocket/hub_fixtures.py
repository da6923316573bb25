"""Fixtures: hub displays on ephemeral loopback ports that clean up after themselves."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import certificates
import glyphcast
import pytest
from glyphcast.plugins import load_registry, reset_registry
from glyphcast_websocket import HubDisplay


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_certificate(folder: Path, *names: str) -> tuple[Path, Path]:
    """A self-signed certificate and its key (openssl) for ``names`` and 127.0.0.1; skips without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command (apt-get install openssl)")
    return certificates.make_certificate(openssl, folder, *names)


@pytest.fixture
def open_hub() -> Iterator[Callable[..., HubDisplay]]:
    """``open_hub(name="websocket", **options)``: a started display on 127.0.0.1, port 0 by default."""
    opened: list[HubDisplay] = []

    def make(name: str = "websocket", width: int = 20, height: int = 5, **options: Any) -> HubDisplay:
        options.setdefault("port", 0)
        display = glyphcast.open_display(name, **options)
        assert isinstance(display, HubDisplay)
        opened.append(display)
        display.init(width, height)
        return display

    yield make
    for display in opened:
        display.cleanup()


class Recorder:
    """A plugin that records every client event hook (and can be told to raise)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.state: dict[str, Any] | None = None
        self.raise_in: set[str] = set()
        self.changed = threading.Condition()

    def _record(self, name: str, value: Any) -> None:
        with self.changed:
            self.events.append((name, value))
            self.changed.notify_all()
        if name in self.raise_in:
            raise RuntimeError(f"{name} hook fails on purpose")

    def wait(self, name: str, count: int = 1, timeout: float = 5.0) -> list[Any]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.of(name)) >= count, timeout)
            return self.of(name)

    def of(self, name: str) -> list[Any]:
        return [value for event, value in self.events if event == name]

    @glyphcast.hookimpl
    def client_connected(self, client: glyphcast.ClientInfo) -> None:
        self._record("connected", client)

    @glyphcast.hookimpl
    def client_disconnected(self, client: glyphcast.ClientInfo) -> None:
        self._record("disconnected", client)

    @glyphcast.hookimpl
    def client_command(self, command: Any, client: glyphcast.ClientInfo) -> None:
        self._record("command", (command, client.role))

    @glyphcast.hookimpl
    def client_input(self, data: str, client: glyphcast.ClientInfo) -> None:
        self._record("input", data)

    @glyphcast.hookimpl
    def client_resize(self, width: int, height: int, client: glyphcast.ClientInfo) -> None:
        self._record("resize", (width, height))

    @glyphcast.hookimpl
    def state_snapshot(self) -> dict[str, Any] | None:
        if "state_snapshot" in self.raise_in:
            raise RuntimeError("state_snapshot hook fails on purpose")
        return self.state


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A registry with the installed plugins plus a :class:`Recorder`; restored afterwards."""
    plugin = Recorder()
    reset_registry(load_registry(extra_plugins=[("recorder", plugin)]))
    yield plugin
    reset_registry(None)


def open_hub_display(name: str, **options: Any) -> HubDisplay:
    """``glyphcast.open_display(name, **options)`` for a name that is a hub display, typed as one
    (not started: the caller inits and cleans it up)."""
    display = glyphcast.open_display(name, **options)
    assert isinstance(display, HubDisplay)
    return display


def stop_server_process(process: subprocess.Popen[str]) -> None:
    """Stop a server script that runs until its stdin closes: close it, wait 10 s, then kill."""
    if process.poll() is None:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
