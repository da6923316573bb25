"""glyphcast behind nginx and Caddy, configured exactly as docs/deploy.md says.

Each documented config (own host name, or a sub-path of a site) runs with the
proxy from apt on a free loopback port, TLS with a certificate made for the
test, and ``glyphcast run`` started with the options the config's
``# glyphcast:`` line documents. A real Chromium loads the viewer through the
proxy and must see frames; WebSocket clients through the proxy get the role
their token gives, whatever forwarding headers they send themselves.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from typing import Any

import pytest
from deploy_fixtures import Deployment, hello

# A hung browser, proxy or server must not hang the suite.
pytestmark = pytest.mark.timeout(120)

LIVE = "() => window.glyphcast !== undefined && glyphcast.state === 'live' && glyphcast.paintedSeq !== null"


def https_get(
    deployment: Deployment, path: str, host: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One GET through the proxy as a client that resolved the public name to
    127.0.0.1 (``host``: another Host header than the public name)."""
    with socket.create_connection(("127.0.0.1", deployment.port), timeout=10) as raw:
        with deployment.context.wrap_socket(raw, server_hostname=deployment.name) as tls:
            request = f"GET {path} HTTP/1.1\r\nHost: {host or deployment.name}:{deployment.port}\r\nConnection: close\r\n\r\n"
            tls.sendall(request.encode())
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def open_viewer(page: Any, deployment: Deployment, fragment: str = "") -> list[str]:
    """Load the viewer at its public URL and wait until it paints frames; the
    WebSocket URLs it opened come back (and are part of any failure message)."""
    sockets: list[str] = []
    errors: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.on("pageerror", lambda err: errors.append(str(err)))
    response = page.goto(deployment.url + fragment)
    assert response is not None and response.status == 200, (
        response and response.status,
        deployment.diagnostics(),
    )
    try:
        page.wait_for_function(LIVE, timeout=15000)
    except Exception as error:  # Playwright's TimeoutError: say what the viewer and the servers saw
        state = page.evaluate("() => window.glyphcast && [glyphcast.state, glyphcast.message]")
        raise AssertionError(
            f"viewer at {deployment.url} not live: {state}; sockets {sockets}; page errors {errors}\n"
            f"{deployment.diagnostics()}"
        ) from error
    assert errors == []
    return sockets


def test_viewer_loads_through_the_proxy_and_frames_keep_arriving(deployment: Deployment, page: Any) -> None:
    sockets = open_viewer(page, deployment)
    # Relative to the page: under a sub-path the WebSocket goes through that sub-path too.
    assert sockets[0] == deployment.ws_url
    rows = page.evaluate("() => glyphcast.rows()")
    assert "glyphcast" in rows[0] and "demo" in rows[0], rows[:3]
    # Frames keep coming (nothing buffers them): at 30 fps, 20 more frames well within 5 s.
    seq = page.evaluate("() => glyphcast.paintedSeq")
    page.wait_for_function("(s) => glyphcast.paintedSeq >= s + 20", arg=seq, timeout=5000)
    assert page.evaluate("() => glyphcast.role") == "viewer"


def test_browser_with_the_control_token_in_the_fragment_controls(deployment: Deployment, page: Any) -> None:
    open_viewer(page, deployment, f"#control={deployment.control_token}")
    assert page.evaluate("() => glyphcast.role") == "controller"
    assert deployment.control_token not in page.url, "the viewer must take the token out of the address bar"
    # The token travels in the fragment and a WebSocket header, never in a URL the proxy logs.
    time.sleep(0.2)
    for log in deployment.logs:
        if log.exists():
            assert deployment.control_token not in log.read_text(errors="replace"), f"token in {log.name}"


def test_no_token_is_a_viewer(deployment: Deployment) -> None:
    assert (
        hello(deployment.ws_url, context=deployment.context, connect_to=("127.0.0.1", deployment.port))[
            "role"
        ]
        == "viewer"
    )


def test_the_wss_client_reads_and_writes_its_tls_connection_on_one_thread(deployment: Deployment) -> None:
    """OpenSSL forbids using one TLS connection from two threads at once. websockets' threaded client
    reads on a thread of its own while the caller writes, and now and then a TLS 1.3 session ticket
    read at the moment the request was written swallowed the request (tls_thread_race.py): the test
    stalled until its timeout. Every TLS read and write of hello()'s connection, handshake included,
    is counted here by the thread it ran on."""
    threads: set[str] = set()

    def seen(method: str) -> Any:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            threads.add(threading.current_thread().name)
            return getattr(super(type(self), self), method)(*args, **kwargs)

        return call

    calls = ("do_handshake", "read", "write", "recv", "recv_into", "send", "sendall", "unwrap")
    socket_class = type("SeenSSLSocket", (ssl.SSLSocket,), {name: seen(name) for name in calls})
    object_class = type(
        "SeenSSLObject", (ssl.SSLObject,), {name: seen(name) for name in calls if name in dir(ssl.SSLObject)}
    )
    context = deployment.context
    context.sslsocket_class, context.sslobject_class = socket_class, object_class
    try:
        message = hello(deployment.ws_url, context=context, connect_to=("127.0.0.1", deployment.port))
    finally:
        del context.sslsocket_class, context.sslobject_class  # the class's own again
    assert message["role"] == "viewer"
    assert len(threads) == 1, f"one TLS connection used from threads {sorted(threads)}"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-For": "127.0.0.1"},
        {"X-Forwarded-For": "203.0.113.9"},
        {
            "X-Forwarded-For": "127.0.0.1, 127.0.0.1",
            "X-Real-IP": "127.0.0.1",
            "Forwarded": "for=127.0.0.1;proto=https",
        },
    ],
    ids=["xff-loopback", "xff-public", "every-forwarding-header"],
)
def test_forwarding_headers_a_client_sets_itself_grant_nothing(
    deployment: Deployment, headers: dict[str, str]
) -> None:
    message = hello(
        deployment.ws_url,
        context=deployment.context,
        connect_to=("127.0.0.1", deployment.port),
        headers=headers,
    )
    assert message["role"] == "viewer"


def test_control_token_in_the_authorization_header_controls(deployment: Deployment) -> None:
    message = hello(
        deployment.ws_url,
        context=deployment.context,
        connect_to=("127.0.0.1", deployment.port),
        headers={"Authorization": f"Bearer {deployment.control_token}"},
    )
    assert message["role"] == "controller"


def test_a_wrong_token_is_refused_before_the_upgrade(deployment: Deployment) -> None:
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused:
        hello(
            deployment.ws_url,
            context=deployment.context,
            connect_to=("127.0.0.1", deployment.port),
            headers={"Authorization": "Bearer not-the-token"},
        )
    assert refused.value.response.status_code == 403


def upgrade_status(deployment: Deployment, token: str, source: str) -> int:
    """The status of a WebSocket upgrade with ``token`` sent through the proxy from loopback address ``source``."""
    with socket.create_connection(
        ("127.0.0.1", deployment.port), timeout=10, source_address=(source, 0)
    ) as raw:
        with deployment.context.wrap_socket(raw, server_hostname=deployment.name) as tls:
            request = (
                f"GET {deployment.path}ws HTTP/1.1\r\nHost: {deployment.name}:{deployment.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                f"Authorization: Bearer {token}\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n"
            )
            tls.sendall(request.encode())
            status_line = b""
            while b"\r\n" not in status_line:
                chunk = tls.recv(1)
                if not chunk:
                    break
                status_line += chunk
    assert status_line.startswith(b"HTTP/1.1 "), (status_line, deployment.diagnostics())
    return int(status_line.split()[1])


def test_the_throttle_tells_clients_behind_the_proxy_apart(deployment: Deployment) -> None:
    # The proxy forwards each client's own address (trusted_proxies=127.0.0.1 in the documented line), and
    # replaces the X-Forwarded-For the client sent: one client's wrong tokens throttle that client only.
    statuses = [upgrade_status(deployment, f"wrong-{i}", "127.9.0.2") for i in range(6)]
    assert statuses == [403] * 5 + [429], (statuses, deployment.diagnostics())
    assert upgrade_status(deployment, "wrong-from-another-client", "127.9.0.3") == 403
    assert upgrade_status(deployment, deployment.control_token, "127.9.0.2") == 101  # never the right token


def test_health_and_page_headers_pass_through_the_proxy(deployment: Deployment) -> None:
    status, _, body = https_get(deployment, f"{deployment.path}healthz")
    assert status == 200, (body, deployment.diagnostics())
    assert b'"status": "ok"' in body or b'"status":"ok"' in body
    status, headers, _ = https_get(deployment, deployment.path)
    assert status == 200
    assert "frame-ancestors" in headers.get("content-security-policy", ""), headers
    assert headers.get("x-content-type-options") == "nosniff", headers
    if deployment.path != "/":  # the sub-path without its slash: redirected to it
        status, headers, _ = https_get(deployment, deployment.path.rstrip("/"))
        assert status in (301, 302, 307, 308), status
        assert headers["location"].endswith(deployment.path), headers


def test_a_host_glyphcast_was_not_told_about_is_refused_behind_the_proxy(deployment: Deployment) -> None:
    """DNS rebinding through the proxy: nginx forwards any Host to its only
    server; glyphcast itself must refuse a name not in ``allowed_hosts``."""
    status, _, body = https_get(deployment, f"{deployment.path}healthz", host="rebound.example.net")
    assert b"uptime_s" not in body, (status, body)
    if deployment.proxy == "nginx":
        assert status == 421, (status, body)
