"""The websockets internals the hub relies on (glyphcast_websocket.wsio), on real loopback sockets.

If a websockets upgrade renames or changes ``transport``, ``paused``,
``protocol.state``, ``drain()``, the ``create_connection`` hook, ``data_received``
as the way request bytes come in, or ``serve()``'s use of ``loop.create_server``
(which the hub's own listener takes over), these fail.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest
from glyphcast_websocket.delivery import EncodeCache, Wire
from glyphcast_websocket.intake import Handshakes
from glyphcast_websocket.listener import Listener, ListeningLoop
from glyphcast_websocket.loopthread import new_loop
from glyphcast_websocket.pages import response
from glyphcast_websocket.ratelog import RateLimitedLog
from glyphcast_websocket.request_head import BadRequest
from glyphcast_websocket.wsio import CONTROL_BACKLOG_LIMIT, Connection, attach, connection_class
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Response

pytestmark = pytest.mark.timeout(30)

Handler = Callable[[Connection], Awaitable[None]]


def run(main: Coroutine[Any, Any, object]) -> None:
    """Run ``main`` on the hub's kind of loop (a ListeningLoop)."""
    with asyncio.Runner(loop_factory=new_loop) as runner:
        runner.run(main)


def answer(error: BadRequest) -> Response:
    return response(error.status, error.reason.encode())


async def with_server(
    handler: Handler, body: Callable[[int, list[Connection]], Awaitable[None]], **kw: Any
) -> Listener:
    opened: list[Connection] = []

    async def handle(connection: ServerConnection) -> None:
        assert isinstance(connection, Connection)
        connection.opened()
        opened.append(connection)
        await handler(connection)

    handshakes = Handshakes(kw.pop("max_handshakes", 8), kw.pop("per_address", 8), 64, kw.pop("timeout", 5.0))
    listener = Listener(handshakes, RateLimitedLog(logging.getLogger("test")), on_protocol=attach)
    loop = asyncio.get_running_loop()
    assert isinstance(loop, ListeningLoop)
    with loop.listen_with(listener):
        server = await serve(
            handle,
            "127.0.0.1",
            0,
            create_connection=connection_class(listener, answer),
            compression=None,
            **kw,
        )
    async with server:
        assert (
            server.sockets == listener.sockets and listener.is_serving()
        )  # serve() went through our listener
        port = server.sockets[0].getsockname()[1]
        await body(port, opened)
    assert not listener.is_serving()  # websockets' Server.close() closed it
    return listener


def test_preframed_bytes_written_to_the_transport_arrive_as_the_message() -> None:
    async def handler(connection: Connection) -> None:
        assert connection.writable
        wires = iter([Wire.of("héllo"), Wire.of(b"\x01\x02"), None])
        written = connection.write_from(lambda latest, cache: next(wires), None, EncodeCache())
        assert written == len(Wire.of("héllo")) + len(Wire.of(b"\x01\x02"))
        await connection.wait_closed()

    async def body(port: int, opened: list[Connection]) -> None:
        async with connect(f"ws://127.0.0.1:{port}", compression=None) as ws:
            assert await ws.recv() == "héllo"
            assert await ws.recv() == b"\x01\x02"

    run(with_server(handler, body))


def test_paused_above_the_write_limit_drain_resumes_and_closing_stops_writes() -> None:
    observed: dict[str, object] = {}

    async def handler(connection: Connection) -> None:
        connection.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
        chunk = Wire.of(b"x" * 16384)
        connection.write_from(
            lambda latest, cache: chunk, None, EncodeCache()
        )  # returns once above the limit
        observed["paused"] = connection.paused
        observed["buffered"] = connection.buffered
        await asyncio.wait_for(connection.drain(), 10)  # the client reads everything
        observed["resumed"] = connection.writable
        await connection.close()
        observed["after_close"] = connection.writable
        observed["written_after_close"] = connection.write_from(
            lambda latest, cache: chunk, None, EncodeCache()
        )

    async def body(port: int, opened: list[Connection]) -> None:
        async with connect(f"ws://127.0.0.1:{port}", compression=None, max_size=None) as ws:
            await asyncio.sleep(0.3)  # let the server fill up before reading
            async for _ in ws:
                pass

    run(with_server(handler, body, write_limit=4096))
    assert observed["paused"] is True and int(observed["buffered"]) > 4096  # type: ignore[call-overload]
    assert observed["resumed"] is True
    assert observed["after_close"] is False and observed["written_after_close"] == 0


def test_a_client_flooding_pings_without_reading_is_dropped() -> None:
    async def handler(connection: Connection) -> None:
        connection.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        await connection.wait_closed()

    async def body(port: int, opened: list[Connection]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        writer.write(
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        await reader.readuntil(b"\r\n\r\n")
        ping = bytes([0x89, 0x80 | 125]) + b"\0\0\0\0" + b"p" * 125  # masked, zero mask key
        sent = 0
        try:
            for _ in range(20000):  # ~2.6 MB of pings, never reading a pong
                writer.write(ping * 10)
                sent += 10
                await writer.drain()
        except (ConnectionResetError, BrokenPipeError):
            pass
        await asyncio.sleep(0.2)
        (connection,) = opened
        assert connection.transport.is_closing()
        assert (
            connection.buffered
            <= connection.transport.get_write_buffer_limits()[1] + CONTROL_BACKLOG_LIMIT + 4096
        )
        writer.close()

    run(with_server(handler, body, write_limit=4096, max_queue=4))


def test_at_the_handshake_limit_the_server_stops_accepting_and_drops_no_one_for_being_old() -> None:
    async def handler(connection: Connection) -> None:
        await connection.send("hi")
        await connection.wait_closed()

    async def body(port: int, opened: list[Connection]) -> None:
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(6)]  # never send a request
        await asyncio.sleep(0.1)
        client = asyncio.ensure_future(connect(f"ws://127.0.0.1:{port}", compression=None, open_timeout=10))
        await asyncio.sleep(0.5)
        for reader, _ in idle:  # the limit (4) is reached: nobody was dropped to make room
            assert not reader.at_eof()
        async with await client as ws:  # it waited in the listen backlog until the idle ones timed out
            assert await ws.recv() == "hi"
        for _, writer in idle:
            writer.close()
        assert opened[0].ticket is None  # its handshake ended: it no longer counts

    run(with_server(handler, body, max_handshakes=4, per_address=8, timeout=1.0))


def test_a_connection_settles_its_ticket_when_opened_and_the_listener_counts_none_after() -> None:
    async def handler(connection: Connection) -> None:
        await connection.send("hi")

    async def body(port: int, opened: list[Connection]) -> None:
        async with connect(f"ws://127.0.0.1:{port}", compression=None) as ws:
            assert await ws.recv() == "hi"

    with asyncio.Runner(loop_factory=new_loop) as runner:
        listener = runner.run(with_server(handler, body))
    assert len(listener.handshakes) == 0


def test_the_server_raises_its_descriptor_limit_to_the_hard_limit() -> None:
    import subprocess
    import sys

    script = (
        "import resource\n"
        "from glyphcast_websocket.wsio import raise_descriptor_limit\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))\n"
        "old, new = raise_descriptor_limit()\n"
        "assert old == 64 and resource.getrlimit(resource.RLIMIT_NOFILE)[0] == new > 64, (old, new)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=20)
    assert result.stdout.strip() == "ok", result.stderr
