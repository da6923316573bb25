"""The one HTTP request a connection may make, framed and checked before websockets reads it (sans-I/O).

Each connection to the hub carries ONE request: a page, ``/healthz``, or the
WebSocket upgrade; every response closes the connection. :class:`HeadReader`
takes the bytes as they arrive and says where the request's head ends, so the
hub hands websockets exactly that head and nothing after it (a pipelined
second request, a stray CRLF: dropped, never parsed as WebSocket frames). It
also answers what websockets would not answer itself, or not with our headers:

- a request line over :data:`MAX_LINE` bytes: 414;
- a header line over :data:`MAX_LINE`, more than :data:`MAX_HEADERS` headers,
  or a head over :data:`MAX_HEAD` bytes: 431;
- a head that is not HTTP/1.x as RFC 9112 writes it: 400;
- a request with a body (``Transfer-Encoding``, or ``Content-Length`` other
  than 0): 405 (``Allow: GET, HEAD``), or 400 for GET and HEAD; the body is
  never read.

Anything it lets through, websockets' own parser reads the same way (a test
holds the two together). No message quotes what the client sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Bytes in the request line or one header line, CRLF included (websockets' own limit, and nginx's).
MAX_LINE = 8192
#: Header lines in one request (websockets' own limit).
MAX_HEADERS = 128
#: Bytes in a whole head (nginx's default: 4 buffers of 8 KiB).
MAX_HEAD = 32 * 1024
#: Empty lines tolerated before the request line (RFC 9112 section 2.2).
MAX_LEADING_EMPTY = 4

_REQUEST_LINE = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e]+) HTTP/1\.[01]")
_HEADER_LINE = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([\x09\x20-\x7e\x80-\xff]*?)[ \t]*")


class BadRequest(Exception):
    """The request gets ``status`` and ``reason`` (a fixed text: nothing the client sent) and the connection closes."""

    def __init__(self, status: int, reason: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers


@dataclass(frozen=True, slots=True)
class RequestHead:
    """A checked request head: its method, and ``raw``, the bytes to hand to websockets."""

    method: str
    raw: bytes


class HeadReader:
    """Feed it a connection's bytes; it returns the head once complete, or raises :class:`BadRequest`."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._scanned = 0  # bytes already searched for the end of the head
        self._leading = 0  # empty lines seen before the request line

    def feed(self, data: bytes) -> RequestHead | None:
        """The complete head, or None until it is; the bytes after the head are not looked at."""
        buffer = self._buffer
        buffer += data
        if self._scanned == 0:
            while buffer[:2] == b"\r\n":  # an empty line before the request line: tolerated, up to a point
                del buffer[:2]
                self._leading += 1
                if self._leading > MAX_LEADING_EMPTY:
                    raise BadRequest(400, "bad request: not an HTTP/1.1 request")
            if not buffer or buffer == b"\r":
                return None
        end = buffer.find(b"\r\n\r\n", max(0, self._scanned - 3))
        if end < 0:
            self._check_incomplete()
            self._scanned = len(buffer)
            return None
        head = bytes(buffer[: end + 4])
        buffer.clear()
        return parse(head)

    def _check_incomplete(self) -> None:
        buffer = self._buffer
        first_line_end = buffer.find(b"\n")
        if first_line_end < 0 and len(buffer) > MAX_LINE:
            raise BadRequest(414, "request line too long")
        if len(buffer) > MAX_HEAD:
            raise BadRequest(431, "request header fields too large")
        last_line = len(buffer) - (buffer.rfind(b"\n") + 1)
        if last_line > MAX_LINE:
            raise BadRequest(431, "request header fields too large")


def parse(head: bytes) -> RequestHead:
    """Check one complete head (ending with an empty line); see the module docstring for the answers."""
    lines = head[:-4].split(b"\r\n")
    request_line, header_lines = lines[0], lines[1:]
    if len(request_line) + 2 > MAX_LINE:
        raise BadRequest(414, "request line too long")
    if len(head) > MAX_HEAD or len(header_lines) > MAX_HEADERS:
        raise BadRequest(431, "request header fields too large")
    match = _REQUEST_LINE.fullmatch(request_line)
    if match is None:
        raise BadRequest(400, "bad request: not an HTTP/1.1 request")
    method = match.group(1).decode("ascii")
    body = False
    for line in header_lines:
        if len(line) + 2 > MAX_LINE:
            raise BadRequest(431, "request header fields too large")
        header = _HEADER_LINE.fullmatch(line)
        if header is None:
            raise BadRequest(400, "bad request: a header line is not valid HTTP")
        name = header.group(1).lower()
        if name == b"transfer-encoding":
            body = True
        elif name == b"content-length":
            value = header.group(2)
            if not value.isdigit():
                raise BadRequest(400, "bad request: invalid Content-Length")
            body = body or int(value) != 0
    if body:
        if method.upper() in ("GET", "HEAD"):
            raise BadRequest(400, "bad request: a GET or HEAD request has no body")
        raise BadRequest(405, "method not allowed: GET or HEAD", (("Allow", "GET, HEAD"),))
    return RequestHead(method, head)
