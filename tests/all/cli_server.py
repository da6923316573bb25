"""``glyphcast`` run as a real process serving the websocket display on a free port."""

from __future__ import annotations

import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from glyphcast_websocket.testing import wait_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _default_sigint() -> None:
    """Started from a shell's background job, this process ignores SIGINT and the child would inherit
    that: it must take SIGINT as Ctrl-C, which the tests send."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def serving(*args: str) -> Iterator[tuple[int, str, subprocess.Popen[str]]]:
    """``glyphcast ARGS --display websocket:port=P`` with a known control token; yields (port, token, process).

    Its output (stdout and stderr together) is ``process.stdout``. ``serve`` gets no token (it refuses one
    token for several streams; each stream makes its own): the token yielded is then "".
    """
    port, token = free_port(), "" if args[0] == "serve" else secrets.token_urlsafe(24)
    display = f"websocket:port={port}" + (f",control_token={token}" if token else "")
    server = subprocess.Popen(
        [sys.executable, "-m", "glyphcast", *args, "--display", display],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
        preexec_fn=_default_sigint,
    )
    try:
        assert wait_for(lambda: _accepts(port), timeout=20), "the server never listened"
        yield port, token, server
    finally:
        server.terminate()
        server.wait(timeout=10)
