"""The load generator: many WebSocket clients per process, each recording bytes and latency per message.

A client here must cost far less than a server session, or the benchmark measures
the load generator. So it is a bare asyncio protocol: the opening handshake is
written by hand, and server->client frames (unmasked, never fragmented by the
servers under test) are cut out of the byte stream with one header parse each;
only the message's ``type``/``seq``/``ts`` are read (json / msgpack, both in C). asciinema's
formats (``v1.alis``, ``v2.asciicast``, ``v3.asciicast``) carry no ``ts``: their event times are
added up from the server's time 0 (``origin_ms``, which the server process reports) instead.
Pings are answered with pongs so a server's keepalive never closes a client.
A stalled client simply stops reading (``pause_reading``): the kernel buffers
fill and the server sees a client that does not drain.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import resource
import socket
import struct
import time
import zlib
from array import array
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import msgpack

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x2, 0x8, 0x9, 0xA
STALLED_RECEIVE_BUFFER = 16 * 1024


def _masked_frame(opcode: int, payload: bytes) -> bytes:
    """A client->server frame (clients must mask)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + masked


@dataclass
class ClientStats:
    stalled: bool = False
    messages: int = 0
    frames: int = 0  # frame + delta messages (asciinema: Init/Output/"o" events)
    frame_bytes: int = 0
    last_seq: int = -1  # -1 where the format carries no seq (asciicast)
    last_arrival_ms: float = 0.0
    latencies: array = field(default_factory=lambda: array("d"))
    error: str = ""
    last_ts: float = float("nan")  # the newest frame's ts, as the client reads it


#: What a reader says a message is: not part of an update (hello, header), part of one (a resize
#: event before its repaint), or the update itself, with the frame's (seq, ts).
PART = ("part", -1, 0.0)


def _read_glyphcast(opcode: int, payload: bytearray) -> tuple[str, int, float] | None:
    message = msgpack.unpackb(payload, raw=False) if opcode == OP_BINARY else json.loads(payload)
    kind = message.get("type") if isinstance(message, dict) else None
    if kind not in ("frame", "delta"):
        return None
    return ("update", message["seq"], message["ts"])


def _uleb128(data: bytearray, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, offset


class _AlisReader:
    """ALiS events: the stream clock is Init's time plus every event's relative time (µs)."""

    def __init__(self, origin_ms: float) -> None:
        self.origin_ms = origin_ms
        self.time_us = 0

    def __call__(self, opcode: int, payload: bytearray) -> tuple[str, int, float] | None:
        kind = payload[0]
        if kind == 0x01:  # Init [last id][time]...
            seq, offset = _uleb128(payload, 1)
            self.time_us, _ = _uleb128(payload, offset)
            return ("update", seq, self.origin_ms + self.time_us / 1000)
        if kind in (0x6F, 0x72, 0x6D):  # Output, Resize, Marker: [id][rel time]...
            seq, offset = _uleb128(payload, 1)
            rel, _ = _uleb128(payload, offset)
            self.time_us += rel
            return ("update", seq, self.origin_ms + self.time_us / 1000) if kind == 0x6F else PART
        return None  # the magic string, EOT


class _CastReader:
    """asciicast lines: v2 times are since time 0, v3 times the interval since the previous event."""

    def __init__(self, version: int, origin_ms: float) -> None:
        self.version = version
        self.origin_ms = origin_ms
        self.time_s = 0.0

    def __call__(self, opcode: int, payload: bytearray) -> tuple[str, int, float] | None:
        value = json.loads(payload)
        if isinstance(value, dict):  # the header
            self.time_s = 0.0
            return None
        self.time_s = value[0] if self.version == 2 else self.time_s + value[0]
        return ("update", -1, self.origin_ms + self.time_s * 1000) if value[1] == "o" else PART


def reader_for(subprotocol: str | None, origin_ms: float | None) -> Any:
    """A per-client function: (opcode, payload) -> what the message is (see :data:`PART`)."""
    if subprotocol == "v1.alis":
        return _AlisReader(origin_ms or 0.0)
    if subprotocol in ("v2.asciicast", "v3.asciicast"):
        return _CastReader(int(subprotocol[1]), origin_ms or 0.0)
    return _read_glyphcast


class Client(asyncio.Protocol):
    """One WebSocket client: handshake, then count every message it reads."""

    def __init__(
        self,
        host: str,
        port: int,
        subprotocol: str | None,
        stats: ClientStats,
        deflate: bool = False,
        origin_ms: float | None = None,
    ) -> None:
        self.host, self.port, self.subprotocol, self.stats = host, port, subprotocol, stats
        self.deflate = deflate
        self.read = reader_for(subprotocol, origin_ms)
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.handshaken = False
        self.recording = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            "GET /ws HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        if self.subprotocol:
            lines.append(f"Sec-WebSocket-Protocol: {self.subprotocol}")
        if self.deflate:  # what browsers offer
            lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if not self.handshaken:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[: buffer.find(b"\r\n")])
            if b" 101 " not in status:
                self._fail(f"handshake refused: {status.decode(errors='replace')}")
                return
            del buffer[: end + 4]
            self.handshaken = True
            if not self.opened.done():
                self.opened.set_result(None)
            self.send_text(json.dumps({"type": "hello", "client": "glyphcast-bench"}))
        offset, size = 0, len(buffer)
        while size - offset >= 2:
            b0, b1 = buffer[offset], buffer[offset + 1]
            length, start = b1 & 0x7F, offset + 2
            if length == 126:
                if size - offset < 4:
                    break
                (length,) = struct.unpack_from("!H", buffer, offset + 2)
                start += 2
            elif length == 127:
                if size - offset < 10:
                    break
                (length,) = struct.unpack_from("!Q", buffer, offset + 2)
                start += 8
            end = start + length
            if end > size:
                break
            payload = buffer[start:end]
            if b0 & 0x40:  # RSV1: permessage-deflate, no context takeover (each message on its own)
                payload = bytearray(zlib.decompressobj(-15).decompress(bytes(payload) + b"\x00\x00\xff\xff"))
            self._message(b0 & 0x0F, payload, end - offset)
            offset = end
        if offset:
            del buffer[:offset]

    def _message(self, opcode: int, payload: bytearray, wire_bytes: int) -> None:
        stats = self.stats
        if opcode in (OP_BINARY, OP_TEXT):
            read = self.read(opcode, payload)
        elif opcode == OP_PING:
            self._write(_masked_frame(OP_PONG, bytes(payload)))
            return
        elif opcode == OP_CLOSE:
            if self.transport is not None:
                self.transport.close()
            return
        else:
            return
        arrival = time.time() * 1000.0
        stats.messages += 1
        if read is None:
            return
        what, seq, ts = read
        if what == "part":  # bytes of an update whose last message is still to come
            if self.recording:
                stats.frame_bytes += wire_bytes
            return
        stats.last_seq = seq
        stats.last_ts = ts
        stats.last_arrival_ms = arrival
        if self.recording:
            stats.frames += 1
            stats.frame_bytes += wire_bytes
            stats.latencies.append(arrival - ts)

    def send_text(self, text: str) -> None:
        self._write(_masked_frame(OP_TEXT, text.encode()))

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _fail(self, reason: str) -> None:
        self.stats.error = reason
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(reason))
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed during handshake: {exc}"))
        if not self.stats.error and self.recording:
            self.stats.error = f"connection lost: {exc}" if exc else "closed by server"
        if not self.closed.done():
            self.closed.set_result(None)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _run(
    conn: Connection,
    host: str,
    port: int,
    subprotocol: str | None,
    count: int,
    stalled: int,
    deflate: bool,
    origin_ms: float | None,
) -> None:
    loop = asyncio.get_running_loop()
    stats = [ClientStats(stalled=i < stalled) for i in range(count)]
    clients: list[Client] = []
    gate = asyncio.Semaphore(32)  # the server's accept backlog is finite: open in waves

    async def open_one(s: ClientStats) -> None:
        async with gate:
            for attempt in range(5):
                try:
                    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    if s.stalled:
                        # A stalled viewer on a real link has a small window; loopback would
                        # otherwise buffer megabytes in the kernel and hide the stall from the server.
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, STALLED_RECEIVE_BUFFER)
                    sock.setblocking(False)
                    await loop.sock_connect(sock, (host, port))
                    _, client = await loop.create_connection(
                        lambda: Client(host, port, subprotocol, s, deflate, origin_ms), sock=sock
                    )
                    await asyncio.wait_for(client.opened, 10)
                    clients.append(client)
                    return
                except (OSError, ConnectionError, TimeoutError) as error:
                    s.error = f"connect failed: {error}"
                    await asyncio.sleep(0.05 * (attempt + 1))

    await asyncio.gather(*(open_one(s) for s in stats))
    conn.send(("connected", len(clients)))

    commands: asyncio.Queue[Any] = asyncio.Queue()
    loop.add_reader(conn.fileno(), lambda: commands.put_nowait(conn.recv()))
    command = await commands.get()
    assert command[0] == "go", command
    _, stall_at, stall_for = command
    cpu0 = _cpu_seconds()
    for client in clients:
        client.recording = True

    async def stall() -> None:
        await asyncio.sleep(stall_at)
        stalled_clients = [c for c in clients if c.stats.stalled]
        for client in stalled_clients:
            if client.transport is not None:
                client.transport.pause_reading()
        await asyncio.sleep(stall_for)
        for client in stalled_clients:
            if client.transport is not None and not client.transport.is_closing():
                client.transport.resume_reading()

    stall_task = loop.create_task(stall()) if stalled and stall_for > 0 else None
    command = await commands.get()
    assert command[0] == "stop", command
    cpu = _cpu_seconds() - cpu0
    if stall_task is not None:
        stall_task.cancel()
    for client in clients:
        client.recording = False
        if client.transport is not None:
            client.transport.close()
    loop.remove_reader(conn.fileno())
    conn.send(
        (
            "stats",
            cpu,
            [
                (
                    s.stalled,
                    s.frames,
                    s.frame_bytes,
                    s.last_seq,
                    s.last_arrival_ms,
                    s.latencies.tobytes(),
                    s.error,
                    s.last_ts,
                )
                for s in stats
            ],
        )
    )


def run_clients(
    conn: Connection,
    host: str,
    port: int,
    subprotocol: str | None,
    count: int,
    stalled: int,
    deflate: bool = False,
    origin_ms: float | None = None,
) -> None:
    """Process entry point: open ``count`` clients (the first ``stalled`` of them stall on cue); with
    ``deflate`` they negotiate permessage-deflate; ``origin_ms`` is asciinema formats' time 0."""
    try:
        asyncio.run(_run(conn, host, port, subprotocol, count, stalled, deflate, origin_ms))
    except Exception as error:
        conn.send(("error", f"{type(error).__name__}: {error}"))
