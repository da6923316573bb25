"""Issue 10's attacks, replayed against a real server over loopback: each one is a test.

These are docs/security.md's rules as a black-box spec: exact status codes,
headers and token transport. They talk raw HTTP/WebSocket on sockets where a
well-behaved client library would hide the attack (wrong Host, a client that
never reads, half-open handshakes), and the websockets client elsewhere.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import resource
import selectors
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from glyphcast_websocket.testing import CONTROL_TOKEN, VIEW_TOKEN, receive, receive_frame, receive_until, send
from glyphcast_websocket.throttle import ADDRESS_LIMIT, PREFIX_LIMIT, TOTAL_LIMIT, WINDOW
from hub_fixtures import stop_server_process
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

JSON = "glyphcast.json.v1"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
)
pytestmark = pytest.mark.timeout(90)


# -- raw HTTP, so every header is exactly what an attacker sends ---------------------------
@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


UPGRADE = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
}


def request(
    port: int,
    method: str = "GET",
    path: str = "/",
    headers: dict[str, str] | None = None,
    *,
    host: str | None = None,
    timeout: float = 5.0,
    source: str | None = None,
) -> Reply:
    """One HTTP/1.1 request on a fresh connection (from loopback address ``source`` if given, e.g.
    ``127.0.0.7``); the body is everything after the headers until EOF."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host if host is not None else f'127.0.0.1:{port}'}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    bind = (source, 0) if source is not None else None
    with socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=bind) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionError(f"the server closed without a full response: {data!r}")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        parsed = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            parsed[name.strip().lower()] = value.strip()
        if status != 101:
            sock.settimeout(2.0)
            try:
                while chunk := sock.recv(65536):
                    body += chunk
            except TimeoutError:
                pass  # a server that keeps the connection open: what came so far is the body
        return Reply(status, parsed, body)


def upgrade(port: int, headers: dict[str, str] | None = None, **options: Any) -> Reply:
    return request(port, "GET", options.pop("path", "/ws"), {**UPGRADE, **(headers or {})}, **options)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_subprotocol(token: str) -> str:
    return "glyphcast.token." + base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")


@contextmanager
def client(
    display: Any, *, token: str | None = None, headers: dict[str, str] | None = None
) -> Iterator[ClientConnection]:
    """A well-behaved client: JSON codec, token in the Authorization header."""
    extra = {**(headers or {}), **(bearer(token) if token else {})}
    with ws_connect(
        f"ws://127.0.0.1:{display.port}/ws",
        subprotocols=[JSON],  # type: ignore[list-item]
        additional_headers=extra or None,
        open_timeout=5,
        compression=None,
    ) as ws:
        yield ws


def health(port: int) -> dict[str, Any]:
    reply = request(port, "GET", "/healthz")
    assert reply.status == 200, reply
    return dict(json.loads(reply.body))


def strict_json(text: str | bytes) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON (JSON.parse rejects it)")

    return json.loads(text, parse_constant=refuse)


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, "logged: " + "; ".join(f"{r.levelname} {r.getMessage()}" for r in bad[:5])


# == 1. DNS rebinding ==========================================================================
def test_rebinding_host_is_misdirected_before_any_upgrade_or_page(open_hub: Any) -> None:
    display = open_hub()
    port = display.port
    evil = f"evil.example:{port}"
    reply = upgrade(
        port, {"Origin": f"http://evil.example:{port}", "Sec-WebSocket-Protocol": JSON}, host=evil
    )
    assert reply.status == 421, f"a rebinding page got {reply.status} for the upgrade (want 421, no 101)"
    for path in ("/healthz", "/", "/index.html"):
        page = request(port, "GET", path, host=evil)
        assert page.status == 421, f"{path} answered {page.status} to Host evil.example"
        assert b'"clients' not in page.body and b"<html" not in page.body.lower()


def test_the_servers_own_origin_is_accepted_whatever_the_host_header_says(open_hub: Any) -> None:
    # Origin is compared with the origins the server serves, not with Host
    display = open_hub()
    reply = upgrade(
        display.port, {"Origin": f"http://localhost:{display.port}"}, host=f"127.0.0.1:{display.port}"
    )
    assert reply.status == 101
    reply = upgrade(display.port, {"Origin": "http://127.0.0.1:1"}, host="127.0.0.1:1")
    assert reply.status == 403, "an Origin that matches the Host but not the port we serve got in"


# == 2. Clickjacking: page headers on every response ==============================================
def test_every_response_carries_the_framing_and_sniffing_headers(open_hub: Any) -> None:
    display = open_hub()
    port = display.port
    replies = {
        "page": request(port, "GET", "/"),
        "healthz": request(port, "GET", "/healthz"),
        "missing": request(port, "GET", "/no-such-file"),
        "refused upgrade": upgrade(port, {"Origin": "http://evil.example"}),
    }
    for what, reply in replies.items():
        assert reply.headers.get("content-security-policy") == CSP, what
        assert reply.headers.get("x-frame-options") == "SAMEORIGIN", what
        assert reply.headers.get("x-content-type-options") == "nosniff", what
        assert reply.headers.get("referrer-policy") == "no-referrer", what


def test_frame_ancestors_option_names_who_may_embed_the_viewer(open_hub: Any) -> None:
    display = open_hub(frame_ancestors="https://dash.example")
    reply = request(display.port, "GET", "/")
    assert reply.headers["content-security-policy"].endswith("frame-ancestors https://dash.example")
    assert "x-frame-options" not in reply.headers


# == 3. Ping flood from a client that never reads ===================================================
def _rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _ping_frames(count: int) -> bytes:
    # FIN+ping, masked, 125-byte payload; the all-zero mask leaves the payload as is
    return (b"\x89\xfd" + b"\x00\x00\x00\x00" + b"p" * 125) * count


@pytest.fixture
def small_write_limit_hub() -> Iterator[Any]:
    """A hub whose sockets count as full above 4 kB (``write_limit`` is a hub setting, not a CLI option)."""
    from glyphcast_websocket import HubDisplay

    display = HubDisplay(port=0, write_limit=4096)
    display.init(20, 5)
    try:
        yield display
    finally:
        display.cleanup()


def test_a_ping_flood_that_never_reads_is_cut_off_with_memory_bounded(small_write_limit_hub: Any) -> None:
    display = small_write_limit_hub
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(5)
    sock.connect(("127.0.0.1", display.port))
    lines = [
        "GET /ws HTTP/1.1",
        f"Host: 127.0.0.1:{display.port}",
        *(f"{k}: {v}" for k, v in UPGRADE.items()),
    ]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)  # byte by byte: leave everything after the handshake unread
    assert head.startswith(b"HTTP/1.1 101"), head
    baseline = _rss_bytes()
    peak = baseline
    pings = memoryview(_ping_frames(2000))  # 262 kB of pings, sent without ever splitting a frame wrongly
    sent = 0
    sock.settimeout(0.2)
    deadline = time.monotonic() + 20
    closed = False
    try:
        while time.monotonic() < deadline:
            try:
                sent = (sent + sock.send(pings[sent:])) % len(pings)
            except TimeoutError:
                pass  # the server is not reading right now; keep pushing
            except OSError:  # EPIPE / ECONNRESET: the server cut us off
                closed = True
                break
            peak = max(peak, _rss_bytes())
    finally:
        sock.close()
    grown = (peak - baseline) / 2**20
    assert grown < 64, f"the server grew by {grown:.0f} MB answering pings nobody reads"
    assert closed, "the server kept a client that floods pings and never reads for 20 s"


# == 4. Crash probes ============================================================================
CRASH_PROBES: dict[str, tuple[str, set[str]]] = {
    # 40 kB: under the size limit, over any recursion limit
    "deep nesting": ("[" * 20_000 + "]" * 20_000, {"error"}),
    "deep object": ('{"type": "command", "command": ' + '{"a": ' * 5000 + "1" + "}" * 5001, {"error"}),
    "ping ts 2**64": (json.dumps({"type": "ping", "ts": 2**64}), {"error"}),
    "ping ts NaN": ('{"type": "ping", "ts": NaN}', {"error"}),
    "ping ts -Infinity": ('{"type": "ping", "ts": -Infinity}', {"error"}),
    "huge integer": ('{"type": "ping", "ts": ' + "9" * 10_000 + "}", {"error"}),
    "nine levels": ('{"type": "ping", "ts": 1, "x": [[[[[[[[1]]]]]]]]}', {"error"}),
    "lone surrogate": ('{"type": "ping", "ts": 1, "x": "\\ud800"}', {"error", "pong"}),
}


@pytest.mark.parametrize("probe", sorted(CRASH_PROBES))
def test_crash_probes_get_an_error_reply_and_the_connection_stays_up(
    open_hub: Any, caplog: pytest.LogCaptureFixture, probe: str
) -> None:
    caplog.set_level(logging.DEBUG)
    display = open_hub()
    text, expected = CRASH_PROBES[probe]
    with client(display) as ws:
        receive(ws)
        ws.send(text)
        try:
            while (reply := strict_json(ws.recv(timeout=5)))[
                "type"
            ] == "presence":  # sent as clients come and go
                pass
        except ConnectionClosed as closed:
            pytest.fail(f"{probe}: the server closed the connection ({closed})")
        assert reply["type"] in expected, f"{probe}: got {reply}"
        send(ws, {"type": "ping", "ts": 42})
        while (message := strict_json(ws.recv(timeout=5)))["type"] != "pong":
            pass
        assert message["ts"] == 42
    no_tracebacks(caplog)


def test_a_pong_is_always_strict_json(open_hub: Any) -> None:
    display = open_hub()
    with client(display) as ws:
        receive(ws)
        for ts in ("NaN", "Infinity", "1e400", str(2**64), "12.5"):
            ws.send('{"type": "ping", "ts": ' + ts + "}")
            message = strict_json(ws.recv(timeout=5))  # raises on NaN/Infinity: JSON.parse would too
            if message["type"] == "pong":
                assert abs(message["ts"]) <= 2**53, f"pong echoed {message['ts']} (not exact in JavaScript)"


def test_a_msgpack_map_with_a_list_key_gets_an_error_reply(
    open_hub: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from glyphcast import get_registry
    from glyphcast.protocol import SUBPROTOCOLS

    # glyphcast's msgpack codecs (other plugins' codecs, e.g. asciinema's, read no client messages at all)
    binary = sorted(s for s in get_registry().codecs if s in SUBPROTOCOLS.values() and s != JSON)
    if not binary:
        pytest.skip("no msgpack codec in this env (install glyphcast-binary or glyphcast-diff)")
    import msgpack

    caplog.set_level(logging.DEBUG)
    display = open_hub()
    for subprotocol in binary:
        with ws_connect(
            f"ws://127.0.0.1:{display.port}/ws",
            subprotocols=[subprotocol],  # type: ignore[list-item]
            compression=None,
        ) as ws:
            receive(ws)
            ws.send(b"\x81\x91\x01\x02")  # {[1]: 2}
            assert receive_until(ws, "error")["code"] == "bad_message"
            ws.send(msgpack.packb({"type": "ping", "ts": 2**64 - 1}))
            assert receive_until(ws, lambda m: m["type"] in ("error", "pong"))["type"] == "error"
            ws.send(msgpack.packb({"type": "ping", "ts": 7}))
            assert receive_until(ws, "pong")["ts"] == 7
    no_tracebacks(caplog)


# == 5. Connection flood under a low fd limit ======================================================
SERVER = textwrap.dedent(
    """
    import logging, sys, threading, time
    import glyphcast
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    display = glyphcast.open_display("websocket", port=0)
    display.init(20, 5)
    print(display.port, flush=True)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    seq = 0
    while not stop.is_set():
        display.show([f"frame {seq}"])
        seq += 1
        time.sleep(1 / 30)
    display.cleanup()
    """
)
FD_LIMIT = 256


def _low_soft_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, hard))


def _low_hard_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, min(hard, FD_LIMIT)))  # soft and hard: no way up


@pytest.fixture(params=["soft"])
def low_fd_server(request: pytest.FixtureRequest) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """A glyphcast server in its own process, started with 256 file descriptors, showing 30 fps.

    ``soft``: the usual low default (the server may raise it to its hard limit);
    ``hard``: no way up, the server runs out of descriptors.
    """
    limit = _low_hard_fd_limit if request.param == "hard" else _low_soft_fd_limit
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit,  # the child starts with the low limit
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(
                f"the server did not start: {line!r} {process.stderr.read() if process.stderr else ''}"
            )
        yield int(line), process
    finally:
        stop_server_process(process)


def _half_open_flood(stack: ExitStack, port: int, count: int, build_for: float = 3.0) -> int:
    """Open ``count`` connections that send half a request and never the rest; return how many connected.

    They come from 127.0.0.2 (all of 127/8 is loopback), another address than
    the normal client's: one address holds at most its budget of handshakes, and
    a client that shares an attacker's address waits behind it.

    Non-blocking, so a full backlog (SYNs dropped and retried) does not stall the
    test: for ``build_for`` seconds each connection that completes sends its
    request line and one header, and then nothing.
    """
    selector = stack.enter_context(selectors.DefaultSelector())
    for _ in range(count):
        sock = stack.enter_context(socket.socket())
        sock.bind(("127.0.0.2", 0))
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        selector.register(sock, selectors.EVENT_WRITE)
    connected = 0
    deadline = time.monotonic() + build_for
    while selector.get_map() and time.monotonic() < deadline:
        for key, _ in selector.select(0.1):
            assert isinstance(key.fileobj, socket.socket)
            sock = key.fileobj
            selector.unregister(sock)
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                try:
                    sock.send(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # ...never the blank line
                    connected += 1
                except OSError:
                    continue  # the server already dropped it: fine, it was one of the flood
    return connected


def test_a_flood_of_half_open_handshakes_does_not_lock_out_a_normal_client(
    low_fd_server: tuple[int, subprocess.Popen[str]],
) -> None:
    port, process = low_fd_server
    with ExitStack() as flood:
        half_open = _half_open_flood(flood, port, 2 * FD_LIMIT)  # more than the server has descriptors
        time.sleep(0.5)  # let the server accept what it will
        started = time.monotonic()
        try:
            with ws_connect(
                f"ws://127.0.0.1:{port}/ws",
                subprotocols=[JSON],  # type: ignore[list-item]
                open_timeout=1.0,
                compression=None,
            ) as ws:
                receive_frame(ws, timeout=max(0.05, 1.0 - (time.monotonic() - started)))
        except (TimeoutError, OSError, ConnectionClosed, InvalidStatus) as error:
            pytest.fail(f"a normal client got no frame within 1 s during a flood of {half_open}: {error!r}")
        waited = time.monotonic() - started
        assert waited < 1.0, f"the first frame took {waited:.2f} s during the flood"
    _, stderr = process.communicate(timeout=15)  # closes stdin: the server stops
    tracebacks = stderr.count("Traceback")
    assert tracebacks <= 2, f"{tracebacks} tracebacks in the server's log:\n{stderr[-3000:]}"
    errors = [line for line in stderr.splitlines() if line.startswith(("ERROR", "CRITICAL"))]
    assert len(errors) <= 5, f"{len(errors)} ERROR lines for one flood (not rate-limited): {errors[:3]}"


@pytest.mark.parametrize("low_fd_server", ["hard"], indirect=True)
def test_out_of_descriptors_is_logged_once_and_a_normal_client_gets_in_when_they_free_up(
    low_fd_server: tuple[int, subprocess.Popen[str]],
) -> None:
    port, process = low_fd_server
    with ExitStack() as flood:
        _half_open_flood(flood, port, 2 * FD_LIMIT)
        time.sleep(0.5)
        deadline = time.monotonic() + 5  # asyncio retries accept() a second after running out
        while True:
            try:
                with ws_connect(
                    f"ws://127.0.0.1:{port}/ws",
                    subprotocols=[JSON],  # type: ignore[list-item]
                    open_timeout=1.0,
                    compression=None,
                ) as ws:
                    receive_frame(ws, timeout=1.0)
                    break
            except (TimeoutError, OSError, ConnectionClosed, InvalidStatus):
                if time.monotonic() > deadline:
                    raise
    _, stderr = process.communicate(timeout=15)
    assert stderr.count("Traceback") <= 2, stderr[-3000:]
    out_of_descriptors = [line for line in stderr.splitlines() if "out of system resource" in line]
    assert len(out_of_descriptors) <= 3, f"{len(out_of_descriptors)} lines: not rate-limited"


# == 6. Tokens: transport, throttling ===============================================================
def test_token_guessing_is_throttled_with_429_after_five_failures_but_the_right_token_gets_in(
    open_hub: Any,
) -> None:
    display = open_hub(control_token=CONTROL_TOKEN)
    for attempt in range(5):
        reply = upgrade(display.port, bearer(f"guess-{attempt}"))
        assert reply.status == 403, f"wrong token #{attempt + 1} got {reply.status}"
        assert CONTROL_TOKEN.encode() not in reply.body
    throttled = upgrade(display.port, bearer("guess-5"))
    assert throttled.status == 429, f"the 6th wrong token within 10 s got {throttled.status}"
    assert 1 <= int(throttled.headers["retry-after"]) <= 10
    assert upgrade(display.port, bearer(CONTROL_TOKEN)).status == 101


def test_a_wrong_token_in_the_subprotocol_is_refused_before_the_upgrade(open_hub: Any) -> None:
    display = open_hub(control_token=CONTROL_TOKEN)
    reply = upgrade(display.port, {"Sec-WebSocket-Protocol": f"{JSON}, {token_subprotocol('nope')}"})
    assert reply.status == 403


def test_the_control_token_travels_in_the_subprotocol_and_is_never_selected(open_hub: Any) -> None:
    display = open_hub(control_token=CONTROL_TOKEN)
    with ws_connect(
        f"ws://127.0.0.1:{display.port}/ws",
        subprotocols=[JSON, token_subprotocol(CONTROL_TOKEN)],  # type: ignore[list-item]
        compression=None,
    ) as ws:
        assert ws.subprotocol == JSON
        assert receive(ws)["role"] == "controller"


def test_a_token_in_the_query_string_is_refused_with_a_hint(open_hub: Any) -> None:
    display = open_hub(control_token=CONTROL_TOKEN)
    reply = upgrade(display.port, path=f"/ws?token={CONTROL_TOKEN}")
    assert reply.status == 403, f"?token= got {reply.status}"
    assert b"fragment" in reply.body and b"Authorization" in reply.body
    assert CONTROL_TOKEN.encode() not in reply.body


def test_a_view_token_is_needed_before_the_upgrade(open_hub: Any) -> None:
    display = open_hub(token=VIEW_TOKEN, control_token=CONTROL_TOKEN)
    assert upgrade(display.port).status == 403
    assert upgrade(display.port, bearer(VIEW_TOKEN)).status == 101
    with client(display, token=VIEW_TOKEN) as ws:
        assert receive(ws)["role"] == "viewer"


# == 6. Methods ===================================================================================
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
@pytest.mark.parametrize("path", ["/", "/healthz", "/ws"])
def test_methods_other_than_get_and_head_get_405_with_allow(open_hub: Any, method: str, path: str) -> None:
    display = open_hub()
    reply = request(display.port, method, path, {"Content-Length": "0"})
    assert reply.status == 405, f"{method} {path} got {reply.status}"
    assert reply.headers.get("allow") == "GET, HEAD"


@pytest.mark.parametrize("path", ["/", "/healthz"])
def test_head_gets_the_headers_and_no_body(open_hub: Any, path: str) -> None:
    display = open_hub()
    get = request(display.port, "GET", path)
    head = request(display.port, "HEAD", path)
    assert head.status == get.status == 200
    assert head.headers.get("content-type") == get.headers.get("content-type")
    assert head.body == b"", f"HEAD {path} sent a {len(head.body)}-byte body"


# == 5/6. max_clients before the upgrade =============================================================
def test_over_max_clients_the_upgrade_is_refused_with_503_before_101(open_hub: Any) -> None:
    display = open_hub(max_clients=2)
    with client(display) as a, client(display) as b:
        receive(a), receive(b)
        reply = upgrade(display.port)
        assert reply.status == 503, f"the client over max_clients got {reply.status} (want 503, no upgrade)"
        assert int(reply.headers["retry-after"]) >= 1
    with client(display) as again:  # the slots free up when clients leave
        assert receive(again)["type"] == "hello"


# == 7. Roles come from tokens, never from addresses ====================================================
def test_a_loopback_client_without_the_control_token_is_a_viewer(open_hub: Any, recorder: Any) -> None:
    display = open_hub()
    with client(display) as ws:
        assert receive(ws)["role"] == "viewer"
        for message in (
            {"type": "input", "data": "rm -rf ~\r"},
            {"type": "command", "command": "quit"},
            {"type": "resize", "width": 10, "height": 10},
        ):
            send(ws, message)
            assert receive_until(ws, "error")["code"] == "forbidden"
    assert recorder.of("input") == recorder.of("command") == recorder.of("resize") == []


def test_forwarded_for_headers_grant_nothing(open_hub: Any, recorder: Any) -> None:
    display = open_hub()
    spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "127.0.0.1", "Forwarded": "for=127.0.0.1"}
    with client(display, headers=spoofed) as ws:
        assert receive(ws)["role"] == "viewer"
        send(ws, {"type": "input", "data": "x"})
        assert receive_until(ws, "error")["code"] == "forbidden"
    with pytest.raises(InvalidStatus) as refused, client(display, token="not-a-token", headers=spoofed):
        pass
    assert refused.value.response.status_code == 403


def test_the_control_token_in_a_header_makes_a_controller(open_hub: Any, recorder: Any) -> None:
    display = open_hub(control_token=CONTROL_TOKEN)
    with client(display, token=CONTROL_TOKEN) as ws:
        assert receive(ws)["role"] == "controller"
        send(ws, {"type": "command", "command": "next"})
        assert recorder.wait("command") == [("next", "controller")]


def test_a_refused_token_never_reaches_the_log(open_hub: Any, caplog: pytest.LogCaptureFixture) -> None:
    display = open_hub(control_token=CONTROL_TOKEN)
    caplog.set_level(logging.DEBUG)
    secret = "guess-that-must-not-be-logged"
    assert upgrade(display.port, bearer(secret)).status == 403
    assert upgrade(display.port, {}, path=f"/ws?token={secret}").status == 403
    subprotocol = {"Sec-WebSocket-Protocol": f"{JSON}, {token_subprotocol(secret)}"}
    assert upgrade(display.port, subprotocol).status == 403
    assert any("refused" in r.getMessage() for r in caplog.records)  # the refusals were logged...
    encoded = token_subprotocol(secret).rpartition(".")[2]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert secret not in logged and encoded not in logged  # ...without the token, plain or encoded


# == 8. Guessing from many addresses, behind a proxy, on a full server ===================================
def test_rotating_loopback_source_addresses_gets_no_more_than_the_prefix_and_total_budgets(
    open_hub: Any,
) -> None:
    display = open_hub(control_token=CONTROL_TOKEN)
    started = time.monotonic()
    one_prefix = [
        upgrade(display.port, bearer(f"guess-{i}"), source=f"127.0.0.{i + 2}").status for i in range(60)
    ]
    many_prefixes = [
        upgrade(display.port, bearer(f"guess-{i}"), source=f"127.{i + 1}.0.1").status for i in range(60)
    ]
    windows = 1 + int((time.monotonic() - started) // WINDOW)  # a slow machine may see the budget twice
    assert set(one_prefix) | set(many_prefixes) <= {403, 429}
    assert one_prefix.count(403) <= PREFIX_LIMIT * windows, f"{one_prefix.count(403)} guesses from one /24"
    counted = one_prefix.count(403) + many_prefixes.count(403)
    assert counted <= TOTAL_LIMIT * windows, f"{counted} guesses counted from 120 addresses"
    assert 429 in many_prefixes, "rotating /24s across 127/8 was never throttled"
    # ...and the right token still gets in, from a throttled address, while the total is spent
    with ws_connect(
        f"ws://127.0.0.1:{display.port}/ws",
        subprotocols=[JSON],  # type: ignore[list-item]
        additional_headers=bearer(CONTROL_TOKEN),
        open_timeout=5,
        compression=None,
        source_address=("127.0.0.2", 0),
    ) as ws:
        assert receive(ws)["role"] == "controller"


def test_behind_a_trusted_proxy_junk_from_other_addresses_never_locks_out_the_controller(
    open_hub: Any, recorder: Any
) -> None:
    display = open_hub(control_token=CONTROL_TOKEN, trusted_proxies="127.0.0.1")
    controller = {"X-Forwarded-For": "203.0.113.50"}  # what nginx adds for the real controller
    for i in range(3 * (ADDRESS_LIMIT + 1)):  # the controller's own address is throttled too, on purpose
        upgrade(display.port, {**bearer("a-wrong-guess"), "X-Forwarded-For": "203.0.113.50"})
        for _ in range(3):
            junk = {**bearer(f"junk-{i}"), "X-Forwarded-For": f"198.51.100.{i + 1}"}
            assert upgrade(display.port, junk).status in (403, 429)
        with client(display, token=CONTROL_TOKEN, headers=controller) as ws:
            assert receive(ws)["role"] == "controller", f"round {i}"
    # the client's address is the forwarded one in what the hooks and logs see
    assert recorder.wait("connected")[0].remote.startswith("203.0.113.50")
    # the throttle keys on the forwarded address: one client's guesses do not throttle another's
    assert upgrade(display.port, {**bearer("x"), "X-Forwarded-For": "192.0.2.77"}).status == 403


def test_an_untrusted_peers_forwarded_for_is_ignored(open_hub: Any) -> None:
    display = open_hub(control_token=CONTROL_TOKEN, trusted_proxies="127.0.0.1")
    statuses = [
        upgrade(
            display.port, {**bearer("guess"), "X-Forwarded-For": f"198.51.{i}.1"}, source="127.0.0.2"
        ).status
        for i in range(ADDRESS_LIMIT + 3)
    ]  # a new address claimed each time, from a peer that is not a trusted proxy
    assert statuses == [403] * ADDRESS_LIMIT + [429] * 3, statuses


def test_a_full_server_of_idle_anonymous_viewers_still_lets_the_controller_in(open_hub: Any) -> None:
    display = open_hub(control_token=CONTROL_TOKEN, max_clients=8)
    with ExitStack() as idle:
        for _ in range(8):  # upgraded, then silent: never read, never write
            sock = idle.enter_context(socket.create_connection(("127.0.0.1", display.port), timeout=5))
            lines = [
                "GET /ws HTTP/1.1",
                f"Host: 127.0.0.1:{display.port}",
                *(f"{k}: {v}" for k, v in UPGRADE.items()),
            ]
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            assert sock.recv(12) == b"HTTP/1.1 101"
        deadline = time.monotonic() + 5
        while health(display.port)["clients_total"] < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert upgrade(display.port).status == 503  # full for viewers
        with client(display, token=CONTROL_TOKEN) as ws:
            assert receive(ws)["role"] == "controller"
