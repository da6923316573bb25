"""TLS in glyphcast itself, no proxy: ``websocket:certfile=...,keyfile=...``
serves the viewer over https and its WebSocket over wss on the same port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from deploy_fixtures import Certificate, Glyphcast, hello

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def tls_server(certificate: Certificate) -> Iterator[Glyphcast]:
    server = Glyphcast(
        f"websocket:port=8765,certfile={certificate.cert},keyfile={certificate.key}",
        scheme="https",
        context=certificate.context(),
    )
    try:
        yield server.start()
    finally:
        server.stop()


def test_viewer_over_https_sees_frames(tls_server: Glyphcast, page: Any) -> None:
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    response = page.goto(tls_server.url)
    assert response is not None and response.status == 200
    page.wait_for_function(
        "() => window.glyphcast !== undefined && glyphcast.state === 'live' && glyphcast.paintedSeq !== null",
        timeout=15000,
    )
    assert sockets[0] == f"wss://127.0.0.1:{tls_server.port}/ws"
    rows = page.evaluate("() => glyphcast.rows()")
    assert "glyphcast" in rows[0] and "demo" in rows[0], rows[:3]
    seq = page.evaluate("() => glyphcast.paintedSeq")
    page.wait_for_function("(s) => glyphcast.paintedSeq >= s + 20", arg=seq, timeout=5000)


def test_wss_client_gets_hello(tls_server: Glyphcast) -> None:
    assert tls_server.context is not None
    message = hello(f"wss://127.0.0.1:{tls_server.port}/ws", context=tls_server.context)
    assert message["role"] == "viewer"
