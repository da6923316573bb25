"""An asciinema live-stream consumer written from asciinema's descriptions, not from glyphcast's encoder.

Sources, read before writing this (nothing here imports glyphcast_asciinema):

- ALiS v1, https://docs.asciinema.org/manual/server/streaming/ ("ALiS v1"): the
  first binary message is the 5-byte magic string ``41 4C 69 53 01``; then one
  event per binary message, ``[type: uint8][data]``, integers unsigned LEB128,
  strings ``[byte length: LEB128][UTF-8]``:
  Init ``0x01`` [last id][time: µs since the stream start][cols][rows][theme][init: string],
  Output ``0x6F`` [id][rel time: µs since the last event][data: string],
  Input ``0x69`` (as Output), Resize ``0x72`` [id][rel time][cols][rows],
  Marker ``0x6D`` [id][rel time][label: string], Exit ``0x78`` [id][rel time][status],
  EOT ``0x04`` [rel time] (then back to "expecting Init").
  Theme: ``[format: uint8]``, 0 = none, 8 or 16 = fg, bg and that many RGB triplets.
- asciicast v2 / v3, https://docs.asciinema.org/manual/asciicast/v2/ and v3: the
  streaming page says each line is one text message. The header is a JSON
  object (v2: ``width``/``height``; v3: ``term.cols``/``term.rows``), then
  events ``[time, code, data]``: v2 time is seconds since the start, v3 the
  interval since the previous event; ``r`` data is ``"COLSxROWS"``.

What a player does with the events is modelled on asciinema-player's websocket
driver: Init (or a header) starts a fresh terminal of that size and feeds it the
init text; Output feeds the terminal; Resize resizes it. The terminal is
glyphcast's VT adapter around ``avt``, asciinema's own emulator (the one
asciinema-player runs as WebAssembly).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from glyphcast.vt import Screen
from websockets.client import ClientProtocol
from websockets.frames import Frame as WireFrame
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

ALIS_MAGIC = bytes([0x41, 0x4C, 0x69, 0x53, 0x01])


class ProtocolViolation(AssertionError):
    """The stream broke its format's rules."""


# -- ALiS decoding -------------------------------------------------------------------


def read_uleb128(data: bytes, offset: int) -> tuple[int, int]:
    """(value, offset after it): 7 bits per byte, least significant group first, high bit = more."""
    value = shift = 0
    while True:
        if offset >= len(data):
            raise ProtocolViolation("LEB128 runs past the end of the message")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, offset


def read_string(data: bytes, offset: int) -> tuple[str, int]:
    length, offset = read_uleb128(data, offset)
    end = offset + length
    if end > len(data):
        raise ProtocolViolation(f"string of {length} bytes runs past the end of the message")
    return data[offset:end].decode("utf-8"), end


@dataclass(frozen=True)
class Init:
    last_id: int
    time_us: int
    cols: int
    rows: int
    theme: tuple[tuple[int, int, int], ...] | None
    init: str


@dataclass(frozen=True)
class Output:
    id: int
    rel_us: int
    data: str


@dataclass(frozen=True)
class Resize:
    id: int
    rel_us: int
    cols: int
    rows: int


@dataclass(frozen=True)
class Marker:
    id: int
    rel_us: int
    label: str


@dataclass(frozen=True)
class Exit:
    id: int
    rel_us: int
    status: int


@dataclass(frozen=True)
class Eot:
    rel_us: int


AlisEvent = Init | Output | Resize | Marker | Exit | Eot


class AlisDecoder:
    """Binary messages in, events out; checks the order the description requires."""

    def __init__(self) -> None:
        self.state = "magic"  # then "init" (expecting Init), then "online"

    def decode(self, message: bytes) -> AlisEvent | None:
        if self.state == "magic":
            if message != ALIS_MAGIC:
                raise ProtocolViolation(f"first message is not the ALiS v1 magic string: {message[:8]!r}")
            self.state = "init"
            return None
        if not message:
            raise ProtocolViolation("empty event message")
        kind, data = message[0], message
        if self.state == "init" and kind != 0x01:
            raise ProtocolViolation(f"expected Init (0x01), got event type {kind:#04x}")
        event = self._event(kind, data)
        self.state = "init" if isinstance(event, Eot) else "online"
        return event

    def _event(self, kind: int, data: bytes) -> AlisEvent:
        offset = 1
        if kind == 0x01:
            last_id, offset = read_uleb128(data, offset)
            time_us, offset = read_uleb128(data, offset)
            cols, offset = read_uleb128(data, offset)
            rows, offset = read_uleb128(data, offset)
            theme_format = data[offset]
            offset += 1
            theme = None
            if theme_format in (8, 16):
                colours = data[offset : offset + 3 * (2 + theme_format)]
                offset += 3 * (2 + theme_format)
                theme = tuple(zip(colours[0::3], colours[1::3], colours[2::3], strict=False))
            elif theme_format != 0:
                raise ProtocolViolation(f"theme format {theme_format} is not 0, 8 or 16")
            init, offset = read_string(data, offset)
            event: AlisEvent = Init(last_id, time_us, cols, rows, theme, init)
        elif kind == 0x04:
            rel_us, offset = read_uleb128(data, offset)
            event = Eot(rel_us)
        elif kind in (0x6F, 0x69, 0x72, 0x6D, 0x78):
            event_id, offset = read_uleb128(data, offset)
            rel_us, offset = read_uleb128(data, offset)
            if kind in (0x6F, 0x69):
                text, offset = read_string(data, offset)
                event = Output(event_id, rel_us, text)  # input is shown the same way here
            elif kind == 0x72:
                cols, offset = read_uleb128(data, offset)
                rows, offset = read_uleb128(data, offset)
                event = Resize(event_id, rel_us, cols, rows)
            elif kind == 0x6D:
                label, offset = read_string(data, offset)
                event = Marker(event_id, rel_us, label)
            else:
                status, offset = read_uleb128(data, offset)
                event = Exit(event_id, rel_us, status)
        else:
            raise ProtocolViolation(f"unknown ALiS event type {kind:#04x}")
        if offset != len(data):
            raise ProtocolViolation(f"{len(data) - offset} bytes left after event type {kind:#04x}")
        return event


# -- asciicast decoding --------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    cols: int
    rows: int
    raw: dict[str, Any]


@dataclass(frozen=True)
class CastEvent:
    time: float  # v2: since the start; v3: the interval since the previous event
    code: str
    data: str


class AsciicastDecoder:
    """Text messages, one asciicast line each: a header first, then events."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.header: Header | None = None

    def decode(self, message: str) -> Header | CastEvent:
        value = json.loads(message)
        if self.header is None:
            if not isinstance(value, dict) or value.get("version") != self.version:
                raise ProtocolViolation(
                    f"first line is not an asciicast v{self.version} header: {message[:80]}"
                )
            if self.version == 2:
                self.header = Header(value["width"], value["height"], value)
            else:
                self.header = Header(value["term"]["cols"], value["term"]["rows"], value)
            return self.header
        if not (isinstance(value, list) and len(value) == 3 and isinstance(value[1], str)):
            raise ProtocolViolation(f"not an event line: {message[:80]}")
        time_value, code, data = value
        if not isinstance(time_value, int | float) or time_value < 0:
            raise ProtocolViolation(f"bad event time {time_value!r}")
        return CastEvent(float(time_value), code, data)


# -- a player: events onto a terminal ------------------------------------------------


@dataclass
class Player:
    """What asciinema-player does with the events, minus the drawing: a terminal, a clock, an end."""

    screen: Screen | None = None
    time_us: int = 0  # the stream's clock: Init's time, then + each rel time (ALiS)
    time_s: float = 0.0  # asciicast: v2 the last event's time, v3 the sum of intervals
    ended: bool = False
    ids: list[int] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    resets: int = 0

    def alis(self, event: AlisEvent) -> None:
        if isinstance(event, Init):
            self.screen = Screen(event.cols, event.rows)
            self.screen.feed(event.init)
            self.time_us = event.time_us
            self.resets += 1
            self.ids.append(event.last_id)
            return
        assert self.screen is not None
        self.time_us += event.rel_us
        if isinstance(event, Output):
            self.screen.feed(event.data)
            self.ids.append(event.id)
        elif isinstance(event, Resize):
            self.screen.resize(event.cols, event.rows)
        elif isinstance(event, Marker):
            self.markers.append(event.label)
        elif isinstance(event, Eot):
            self.ended = True

    def asciicast(self, version: int, item: Header | CastEvent) -> None:
        if isinstance(item, Header):
            self.screen = Screen(item.cols, item.rows)
            self.time_s = 0.0
            self.resets += 1
            return
        assert self.screen is not None
        if version == 2:
            if item.time + 1e-9 < self.time_s:
                raise ProtocolViolation(f"v2 time went back: {item.time} after {self.time_s}")
            self.time_s = item.time
        else:
            self.time_s += item.time
        if item.code == "o":
            self.screen.feed(item.data)
        elif item.code == "r":
            cols, _, rows = item.data.partition("x")
            self.screen.resize(int(cols), int(rows))
        elif item.code == "m":
            self.markers.append(item.data)

    def text(self) -> list[str]:
        assert self.screen is not None, "nothing was initialised yet"
        return self.screen.text()


# -- a client that reads only when told to --------------------------------------------


class StreamClient:
    """One consumer over a plain socket with websockets' sans-I/O client protocol (no threads).

    It reads only in :meth:`pump`, with a small receive buffer, so a test can
    stop reading and the hub really sees a slow client.
    """

    def __init__(
        self, host: str, port: int, subprotocol: str, path: str = "/ws", receive_buffer: int = 4096
    ) -> None:
        self.wanted = subprotocol
        self.protocol = ClientProtocol(
            parse_uri(f"ws://{host}:{port}{path}"), subprotocols=[Subprotocol(subprotocol)]
        )
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.connect((host, port))
        self.player = Player()
        self.alis = AlisDecoder()
        self.cast = AsciicastDecoder(3 if subprotocol == "v3.asciicast" else 2)
        self.messages: list[bytes | str] = []
        self.events: list[Any] = []
        #: The screen's text after every message (what a viewer could have seen).
        self.screens: list[tuple[str, ...]] = []
        self.close_code: int | None = None
        self.subprotocol: str | None = None
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        deadline = time.monotonic() + 5
        while self.subprotocol is None:
            if time.monotonic() > deadline:
                raise TimeoutError("no handshake response within 5 s")
            self.pump(0.5)
        if self.subprotocol != subprotocol:
            raise ProtocolViolation(f"asked for {subprotocol}, the server chose {self.subprotocol}")

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.sock.sendall(data)

    def pump(self, timeout: float) -> int:
        """Read what arrives within ``timeout``; play every message. Returns how many arrived."""
        if self.close_code is not None:
            return 0
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return 0
        if not data:
            self.close_code = self.close_code or 1006
            return 0
        self.protocol.receive_data(data)
        count = 0
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if event.status_code != 101:
                    raise ConnectionError(f"handshake refused with {event.status_code}")
                self.subprotocol = event.headers.get("Sec-WebSocket-Protocol")
            elif isinstance(event, WireFrame):
                if event.opcode is Opcode.CLOSE:
                    self.close_code = int.from_bytes(event.data[:2], "big") if len(event.data) >= 2 else 1005
                elif event.opcode in (Opcode.TEXT, Opcode.BINARY):
                    self._play(event)
                    if self.player.screen is not None:
                        self.screens.append(tuple(self.player.text()))
                    count += 1
        self._flush()
        return count

    def _play(self, frame: WireFrame) -> None:
        data = bytes(frame.data)
        if self.wanted == "v1.alis":
            if frame.opcode is not Opcode.BINARY:
                raise ProtocolViolation("ALiS messages are binary")
            self.messages.append(data)
            event = self.alis.decode(data)
            if event is not None:
                self.events.append(event)
                self.player.alis(event)
        else:
            if frame.opcode is not Opcode.TEXT:
                raise ProtocolViolation("asciicast lines are text messages")
            text = data.decode("utf-8")
            if "\n" in text.rstrip("\n"):
                raise ProtocolViolation("one asciicast line per message")
            self.messages.append(text)
            item = self.cast.decode(text)
            self.events.append(item)
            self.player.asciicast(self.cast.version, item)

    def read_until(self, done: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"condition not met within {timeout} s after {len(self.messages)} messages"
                )
            if self.close_code is not None and not done():
                raise ConnectionError(f"closed with {self.close_code} before the condition was met")
            self.pump(min(left, 0.2))

    def close(self) -> None:
        self.sock.close()
