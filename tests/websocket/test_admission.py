"""Admission under crowds and under attack, measured on real loopback sockets.

A burst of real viewers all gets in; half-open connections (plain TCP that
never speaks, TLS that never finishes) from another address keep neither a
viewer out nor the server's memory growing. The numbers are printed (run
with ``-s`` to see them).
"""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import certificates
import pytest
from glyphcast_websocket.wsio import raise_descriptor_limit
from hub_fixtures import stop_server_process
from websockets.asyncio.client import connect

JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(180)


# -- a burst of real viewers ---------------------------------------------------------------------
async def first_frame(url: str, started: float, ssl_context: ssl.SSLContext | None = None) -> float:
    """Connect as a viewer; seconds from ``started`` until the first frame arrived."""
    async with connect(url, subprotocols=[JSON], compression=None, open_timeout=60, ssl=ssl_context) as ws:  # type: ignore[list-item]
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if message["type"] == "frame":
                return time.monotonic() - started


async def burst(url: str, count: int) -> tuple[list[float], list[BaseException]]:
    started = time.monotonic()
    results = await asyncio.gather(*(first_frame(url, started) for _ in range(count)), return_exceptions=True)
    times = [r for r in results if isinstance(r, float)]
    errors = [r for r in results if isinstance(r, BaseException)]
    return times, errors


def test_a_thousand_viewers_opening_at_once_all_get_their_first_frame(open_hub: Any) -> None:
    raise_descriptor_limit()  # a thousand clients and a thousand server sides in this one process
    display = open_hub(max_clients=2000)
    display.show(["hello, crowd"])
    times, errors = asyncio.run(burst(f"ws://127.0.0.1:{display.port}/ws", 1000))
    kinds = sorted({repr(e)[:120] for e in errors})
    assert not errors, f"{len(errors)} of 1000 viewers got no first frame: {kinds[:3]}"
    print(
        f"\n1000 viewers at once: all got their first frame; the last after {max(times):.2f} s "
        f"(median {sorted(times)[500]:.2f} s)"
    )


# -- one process reconnecting as fast as it can ------------------------------------------------
CHURN = textwrap.dedent(
    """
    import socket, struct, sys, time
    port, end, made = int(sys.argv[1]), time.monotonic() + float(sys.argv[2]), 0
    while time.monotonic() < end:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset: no TIME_WAIT
            sock.bind(("127.0.0.2", 0))
            try:
                sock.connect(("127.0.0.1", port))
            except OSError:
                continue
            made += 1
    print(made)
    """
)


def distant_viewer(port: int, rtt: float) -> float:
    """A viewer whose request arrives ``rtt`` after its connect; seconds until its first frame."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        time.sleep(rtt)
        sock.sendall(
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        data = b""
        while b'"frame"' not in data:
            chunk = sock.recv(65536)
            assert chunk, f"the viewer was dropped during its handshake: {data[:100]!r}"
            data += chunk
        assert data.startswith(b"HTTP/1.1 101")
    return time.monotonic() - started


def test_a_process_reconnecting_in_a_loop_does_not_keep_a_distant_viewer_out(open_hub: Any) -> None:
    display = open_hub()
    display.show(["hello"])
    attacker = subprocess.Popen(
        [sys.executable, "-c", CHURN, str(display.port), "4"], stdout=subprocess.PIPE, text=True
    )
    try:
        time.sleep(0.5)
        waits = [distant_viewer(display.port, rtt=0.2) for _ in range(3)]
    finally:
        made, _ = attacker.communicate(timeout=30)
    print(
        f"\nan attacker reconnecting from 127.0.0.2 ({int(made) / 4:.0f}/s): a viewer 200 ms away got its "
        f"first frame after {', '.join(f'{w:.2f}' for w in waits)} s"
    )
    assert max(waits) < 1.5, waits


# -- half-open connections from another address ----------------------------------------------------
SERVER = textwrap.dedent(
    """
    import sys, threading, time
    import glyphcast
    certfile, keyfile = sys.argv[1], sys.argv[2]
    plain = glyphcast.open_display("websocket", port=0)
    plain.init(20, 5)
    tls = glyphcast.open_display("websocket", port=0, certfile=certfile, keyfile=keyfile)
    tls.init(20, 5)
    print(plain.port, tls.port, flush=True)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    seq = 0
    while not stop.is_set():
        plain.show([f"frame {seq}"])
        tls.show([f"frame {seq}"])
        seq += 1
        time.sleep(1 / 30)
    plain.cleanup()
    tls.cleanup()
    """
)
HALF_OPEN = 300


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command (apt-get install openssl)")
    return certificates.make_certificate(openssl, tmp_path_factory.mktemp("tls"), subject="127.0.0.1")


@pytest.fixture
def server(certificate: tuple[Path, Path]) -> Iterator[tuple[int, int, subprocess.Popen[str]]]:
    """A glyphcast server in its own process: a plain port and a TLS port, each showing 30 fps."""
    cert, key = certificate
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(cert), str(key)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().split()
        if len(line) != 2:
            raise RuntimeError(
                f"the server did not start: {line!r} {process.stderr.read() if process.stderr else ''}"
            )
        yield int(line[0]), int(line[1]), process
    finally:
        stop_server_process(process)


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def client_hello() -> bytes:
    """The first flight of a TLS client, to send and then never go on."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def half_open(stack: ExitStack, port: int, count: int, first_bytes: bytes) -> int:
    """``count`` connections from 127.0.0.2 that send ``first_bytes`` (maybe nothing) and then nothing."""
    selector = stack.enter_context(selectors.DefaultSelector())
    for _ in range(count):
        sock = stack.enter_context(socket.socket())
        sock.bind(("127.0.0.2", 0))
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        selector.register(sock, selectors.EVENT_WRITE)
    connected = 0
    deadline = time.monotonic() + 3
    while selector.get_map() and time.monotonic() < deadline:
        for key, _ in selector.select(0.1):
            assert isinstance(key.fileobj, socket.socket)
            sock = key.fileobj
            selector.unregister(sock)
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected += 1
                if first_bytes:
                    try:
                        sock.send(first_bytes)
                    except OSError:
                        continue
    return connected


def test_half_open_plain_and_tls_connections_keep_neither_a_viewer_out_nor_memory_growing(
    server: tuple[int, int, subprocess.Popen[str]],
    certificate: tuple[Path, Path],
) -> None:
    plain_port, tls_port, process = server
    trust = ssl.create_default_context(cafile=str(certificate[0]))

    def viewer(url: str, context: ssl.SSLContext | None = None) -> float:
        return asyncio.run(first_frame(url, time.monotonic(), context))

    plain_url, tls_url = f"ws://127.0.0.1:{plain_port}/ws", f"wss://127.0.0.1:{tls_port}/ws"
    for _ in range(3):  # warm up: the first connections allocate what every later one reuses
        viewer(plain_url), viewer(tls_url, trust)
    time.sleep(0.3)
    before = rss_mib(process.pid)
    hello = client_hello()
    with ExitStack() as attack:
        opened = half_open(attack, plain_port, HALF_OPEN, b"")
        opened += half_open(attack, tls_port, HALF_OPEN // 2, b"")
        opened += half_open(attack, tls_port, HALF_OPEN - HALF_OPEN // 2, hello)
        time.sleep(0.5)  # the server takes in what it will
        plain_wait = viewer(plain_url)
        tls_wait = viewer(tls_url, trust)
        during = rss_mib(process.pid)
        print(
            f"\n{opened} half-open connections from 127.0.0.2 ({HALF_OPEN} plain, {HALF_OPEN} TLS): "
            f"first frame after {plain_wait * 1000:.0f} ms (plain), {tls_wait * 1000:.0f} ms (TLS); "
            f"server RSS {before:.1f} MiB before, {during:.1f} MiB during"
        )
        assert plain_wait < 1.0, f"a plain viewer waited {plain_wait:.2f} s for its first frame"
        assert tls_wait < 1.0, f"a TLS viewer waited {tls_wait:.2f} s for its first frame"
        assert during - before < 30, f"{opened} half-open connections cost {during - before:.0f} MiB"
    _, stderr = process.communicate(timeout=20)
    assert stderr.count("Traceback") == 0, stderr[-3000:]
