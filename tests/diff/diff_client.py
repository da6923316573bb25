"""A diff client over a plain socket that can stop reading: websockets' sans-I/O client protocol, no threads.

The library's sync client reads in a background thread and queues messages,
so "not calling recv()" does not stop it from draining the socket for a while;
this one reads only when told to, with a small receive buffer, so a stall
really fills the server's side.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import msgpack
from glyphcast_websocket.testing import Screen
from websockets.client import ClientProtocol
from websockets.frames import Frame as WireFrame
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

DIFF = "glyphcast.diff.v1"


class DiffClient:
    """Connects with ``glyphcast.diff.v1``, rebuilds the screen, checks every delta fits."""

    def __init__(self, host: str, port: int, receive_buffer: int = 4096) -> None:
        self.protocol = ClientProtocol(parse_uri(f"ws://{host}:{port}/ws"), subprotocols=[Subprotocol(DIFF)])
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.connect((host, port))
        self.screen = Screen()
        self.messages: list[dict[str, Any]] = []
        self.misfits = 0
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        self.subprotocol: str | None = None
        deadline = time.monotonic() + 5
        while self.subprotocol is None:
            if time.monotonic() > deadline:
                raise TimeoutError("no handshake response within 5 s")
            self.pump(0.5)

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.sock.sendall(data)

    def send(self, message: dict[str, Any]) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        self._flush()

    def pump(self, timeout: float) -> list[dict[str, Any]]:
        """Read what arrives within ``timeout`` (at least one recv); apply every frame/delta to the screen."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return []
        if not data:
            raise ConnectionError("server closed the connection")
        self.protocol.receive_data(data)
        received = []
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if event.status_code != 101:
                    raise ConnectionError(f"handshake refused with {event.status_code}")
                self.subprotocol = event.headers.get("Sec-WebSocket-Protocol")
            elif isinstance(event, WireFrame) and event.opcode is Opcode.BINARY:
                message = msgpack.unpackb(event.data, raw=False)
                received.append(message)
                self.messages.append(message)
                if not self.screen.apply(message):
                    # A delta that does not fit: what a viewer would do is ask for a keyframe.
                    self.misfits += 1
                    self.send({"type": "resync"})
        self._flush()  # pongs and close replies the protocol queued
        return received

    def read_until(self, done, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"condition not met within {timeout} s; screen at seq {self.screen.seq}")
            self.pump(min(left, 0.2))

    def close(self) -> None:
        self.sock.close()


def shrink_server_send_buffers(display: Any, size: int = 16384, timeout: float = 5.0) -> None:
    """Pin the kernel send buffer of the hub's side of every session to ``size`` bytes.

    Loopback TCP autotunes send buffers up to megabytes, which would swallow a
    whole stall without the hub ever seeing backpressure; a real link to a slow
    browser has a small window. Called once the client's session exists.
    """
    deadline = time.monotonic() + timeout
    while not display.room.sessions:
        if time.monotonic() > deadline:
            raise TimeoutError("no session appeared on the hub")
        time.sleep(0.005)
    for session in display.hub.sessions:
        sock = session.connection.transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
