"""Helpers for tests and benchmarks that talk to a hub over real loopback connections.

Synchronous (``websockets.sync.client``), so tests need no asyncio plugin::

    display = glyphcast.open_display("websocket-json", port=0)
    display.init(20, 5)
    with connect(display, "glyphcast.json.v1") as ws:
        hello = receive(ws)
        display.show(["hi"])
        frame = receive_frame(ws, seq=1)
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from glyphcast_websocket.display import HubDisplay

Message = dict[str, Any]

#: Tokens for tests, long enough for the 128-bit rule (:data:`~glyphcast_websocket.credentials.MIN_TOKEN_BITS`).
#: Published here, so they protect nothing: never use them outside a test.
CONTROL_TOKEN = "test-control-token-not-a-secret-0123"
VIEW_TOKEN = "test-view-token-not-a-secret-456789"


def ws_url(target: HubDisplay | str, path: str = "/ws") -> str:
    """``ws://host:port/ws`` for a started display (or a ``ws://`` URL as is)."""
    return target if isinstance(target, str) else f"ws://{target.host}:{target.port}{path}"


@contextmanager
def connect(
    target: HubDisplay | str,
    subprotocols: str | Sequence[str] | None = None,
    *,
    token: str | None = None,
    control: bool = False,
    origin: str | None = None,
    path: str = "/ws",
    timeout: float = 5.0,
    **options: Any,
) -> Iterator[ClientConnection]:
    """A client offering ``subprotocols`` (None: offers none, like legacy clients).

    ``token`` goes in ``Authorization: Bearer``; ``control=True`` sends the
    display's own control token (a controller).
    """
    offered = [subprotocols] if isinstance(subprotocols, str) else subprotocols
    if control:
        assert not isinstance(target, str), "control=True needs the display, to read its control token"
        token = target.settings.control_token
    headers = {"Origin": origin} if origin else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with ws_connect(
        ws_url(target, path),
        subprotocols=list(offered) if offered else None,  # type: ignore[arg-type]
        additional_headers=headers or None,
        open_timeout=timeout,
        compression=None,
        **options,
    ) as ws:
        yield ws


def decode(data: str | bytes) -> Message:
    """A server message: JSON in text frames, msgpack in binary frames."""
    if isinstance(data, str):
        message = json.loads(data)
    else:
        import msgpack

        message = msgpack.unpackb(data, raw=False, strict_map_key=False)
    if not isinstance(message, dict):
        raise AssertionError(f"server sent a non-map message: {message!r}")
    return message


#: Messages :func:`receive` passes over unless asked: they come whenever clients join or leave.
AMBIENT = frozenset({"presence"})


def receive(ws: ClientConnection, timeout: float = 5.0, *, ambient: bool = False) -> Message:
    """The next server message, decoded; ``presence`` (v1.1, sent as clients come and go) is
    passed over unless ``ambient=True``, so a test can expect replies and frames in order."""
    deadline = time.monotonic() + timeout
    while True:
        message = decode(ws.recv(timeout=max(0.0, deadline - time.monotonic())))
        if ambient or message.get("type") not in AMBIENT:
            return message


def receive_until(
    ws: ClientConnection, match: str | Callable[[Message], bool], timeout: float = 5.0
) -> Message:
    """Skip messages until one has ``type == match`` (or ``match(message)`` is true); ``presence`` included."""
    test = (lambda m: m.get("type") == match) if isinstance(match, str) else match
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no matching message within {timeout} s")
        message = receive(ws, left, ambient=True)
        if test(message):
            return message


def receive_frame(ws: ClientConnection, seq: int | None = None, timeout: float = 5.0) -> Message:
    """The next ``frame``/``delta``, or the first with ``seq >= seq`` when given."""
    return receive_until(
        ws,
        lambda m: m.get("type") in ("frame", "delta") and (seq is None or m["seq"] >= seq),
        timeout,
    )


def expect_close(ws: ClientConnection, timeout: float = 5.0) -> tuple[int | None, str]:
    """Read (and drop) messages until the server closes; return its close code and reason."""
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the server did not close within {timeout} s")
            ws.recv(timeout=left)
    except ConnectionClosed as closed:
        frame = closed.rcvd
        return (frame.code, frame.reason) if frame is not None else (None, "")


def send(ws: ClientConnection, message: Message) -> None:
    ws.send(json.dumps(message))


class Screen:
    """What a client shows, rebuilt from ``frame``/``delta``/``clear`` messages (as a viewer would).

    :meth:`apply` returns False when a delta does not fit (its base is not the
    frame on screen): the client must send ``resync``.
    """

    def __init__(self) -> None:
        self.seq: int | None = None
        self.lines: list[str] = []
        self.width = 0
        self.height = 0

    def apply(self, message: Message) -> bool:
        kind = message.get("type")
        if kind == "frame":
            self.seq = message["seq"]
            self.width, self.height = message["width"], message["height"]
            self.lines = [_text(line) for line in message["lines"]]
        elif kind == "delta":
            if self.seq != message["base"]:
                return False
            for index, line in message["rows"]:
                self.lines[index] = _text(line)
            self.seq = message["seq"]
        elif kind == "clear":
            self.lines = [""] * self.height
            self.seq = message.get("seq", self.seq)
        return True


def _text(line: str | bytes) -> str:
    return line.decode("utf-8") if isinstance(line, bytes) else line


@contextmanager
def stalled_client(
    target: HubDisplay, subprotocol: str | None = None, path: str = "/ws", receive_buffer: int = 4096
) -> Iterator[socket.socket]:
    """A client that completes the handshake and then never reads: the slowest possible reader.

    Its socket's receive buffer is made small so the server's side fills quickly.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(5)
    sock.connect((target.host, target.port))
    try:
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {target.host}:{target.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
        ]
        if subprotocol:
            lines.append(f"Sec-WebSocket-Protocol: {subprotocol}")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = sock.recv(1)  # byte by byte: leave every frame after the headers unread
            if not chunk:
                raise ConnectionError(f"server closed during the handshake: {response!r}")
            response += chunk
        if not response.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(f"handshake refused: {response.splitlines()[0]!r}")
        yield sock
    finally:
        sock.close()


def raw_upgrade(target: HubDisplay, headers: dict[str, str], path: str = "/ws") -> tuple[int, bytes]:
    """Send an upgrade request with exactly ``headers`` (as curl would); return (status, body)."""
    import http.client

    conn = http.client.HTTPConnection(target.host, target.port, timeout=5)
    try:
        conn.request(
            "GET",
            path,
            headers={
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                "Sec-WebSocket-Version": "13",
                **headers,
            },
        )
        response = conn.getresponse()
        body = response.read() if response.status != 101 else b""
        return response.status, body
    finally:
        conn.close()


def http_get(
    target: HubDisplay | str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """A plain HTTP GET on the hub's port (a display, or ``http://host:port``): (status, headers, body)."""
    import http.client
    from urllib.parse import urlsplit

    if isinstance(target, str):
        parts = urlsplit(target)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
    else:
        host, port = target.host, target.port
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def scrape(target: HubDisplay, headers: dict[str, str] | None = None) -> list[Any]:
    """GET ``/metrics`` and parse it with prometheus-client's own parser: every sample (name, labels, value)."""
    from prometheus_client.parser import text_string_to_metric_families

    status, _, body = http_get(target, "/metrics", headers)
    if status != 200:
        raise AssertionError(f"/metrics answered {status}: {body[:200]!r}")
    return [sample for family in text_string_to_metric_families(body.decode()) for sample in family.samples]


def metric(samples: Sequence[Any], name: str, **labels: str) -> float:
    """The sum of the samples called ``name`` whose labels include ``labels`` (0 when there are none)."""
    return float(
        sum(
            s.value
            for s in samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )
    )


def wait_for(condition: Callable[[], bool], timeout: float = 5.0, interval: float = 0.01) -> bool:
    """Poll ``condition`` until true or ``timeout``; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


#: Flags for a headless Chromium in a sandboxed, offline CI machine: without the
#: background-networking ones it keeps trying (and failing) to reach Google's hosts.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class BrowserUnavailable(RuntimeError):
    """Playwright or the Chromium executable is missing; the text says which and how to install it."""


@contextmanager
def chromium(executable: str = "/usr/bin/chromium", extra_args: Sequence[str] = ()) -> Iterator[Any]:
    """A headless Chromium (the system's, e.g. Debian's apt package) driven by Playwright.

    Never Playwright's own browser download, which needs the internet. Raises
    :class:`BrowserUnavailable` when the ``playwright`` package or ``executable``
    is missing, so a test suite can skip or fail as it sees fit.
    """
    import os

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise BrowserUnavailable(
            "the playwright Python package is not installed (pip install playwright)"
        ) from None
    if not os.access(executable, os.X_OK):
        raise BrowserUnavailable(f"no Chromium at {executable} (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable, headless=True, args=[*CHROMIUM_ARGS, *extra_args]
        )
        try:
            yield browser
        finally:
            browser.close()
