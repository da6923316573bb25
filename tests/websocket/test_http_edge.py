"""The hub's HTTP edge over real loopback sockets: one request per connection, our headers on every answer.

Raw bytes, because the attacks are what a well-behaved client never sends:
pipelined requests, stray CRLFs, bodies, oversized heads, broken upgrades.
"""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

import pytest
from glyphcast_websocket.request_head import MAX_LINE, BadRequest, HeadReader, parse
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.http11 import Request
from websockets.streams import StreamReader

pytestmark = pytest.mark.timeout(120)

OUR_HEADERS = {
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
}
MARKER = "Evil-Marker-7f3a"


def exchange(port: int, payload: bytes, timeout: float = 5.0) -> bytes:
    """Send ``payload`` on a fresh connection and read until the server closes it (or ``timeout``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except TimeoutError:
            data += b"<still open>"
        return data


def responses(data: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Every HTTP response in ``data`` (status, lower-case headers, body by Content-Length)."""
    found = []
    while data.startswith(b"HTTP/1.1 "):
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)
        }
        length = int(headers.get("content-length", "0"))
        found.append((int(status_line.split()[1]), headers, rest[:length]))
        data = rest[length:]
    return found


def get(path: str = "/healthz", extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode()


UPGRADE = (
    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
)


# -- one request per connection ------------------------------------------------------------------
@pytest.mark.parametrize(
    "payload",
    [get() + get(), get() + b"\r\n", get() + b"\r\n\r\n", get("/") + b"GARBAGE\r\n\r\n"],
    ids=["pipelined", "stray-crlf", "two-crlf", "garbage"],
)
def test_a_connection_gets_one_response_and_is_closed_whatever_follows_its_request(
    open_hub: Any, payload: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    display = open_hub()
    caplog.set_level(logging.DEBUG)
    for _ in range(100):
        data = exchange(display.port, payload)
        assert not data.endswith(b"<still open>"), "the connection stayed open after its response"
        answered = responses(data)
        assert len(answered) == 1 and answered[0][0] in (200, 404), data[:200]
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert not tracebacks, f"{len(tracebacks)} tracebacks, e.g. {tracebacks[0].getMessage()}"
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) <= 2, [r.getMessage() for r in loud[:3]]


# -- bodies --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "payload",
    [
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello",
        b"PUT /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"PATCH /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}",
        b"DELETE / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n\r\nx",
    ],
    ids=["post", "put-chunked", "patch", "delete"],
)
def test_a_request_with_a_body_gets_405_and_the_connection_closes(open_hub: Any, payload: bytes) -> None:
    display = open_hub()
    data = exchange(display.port, payload)
    assert not data.endswith(b"<still open>")
    ((status, headers, _),) = responses(data)
    assert status == 405 and headers["allow"] == "GET, HEAD"
    assert OUR_HEADERS <= set(headers)


# -- websockets' own refusals ---------------------------------------------------------------------
REFUSALS = {
    "400 bad key": (400, get("/ws", UPGRADE.replace("dGhlIHNhbXBsZSBub25jZQ==", MARKER))),
    "400 bad version": (400, get("/ws", UPGRADE.replace("Version: 13", f"Version: {MARKER}"))),
    "426 connection header": (
        426,
        get("/ws", UPGRADE.replace("Connection: Upgrade", f"Connection: {MARKER}")),
    ),
    "414 request line": (414, get("/" + MARKER + "a" * MAX_LINE)),
    "431 header line": (431, get("/", f"X-{MARKER}: {'a' * MAX_LINE}\r\n")),
    "431 too many headers": (431, get("/", "".join(f"X-{MARKER}-{n}: 1\r\n" for n in range(200)))),
    "400 not http": (400, f"GET / {MARKER}\r\nHost: 127.0.0.1\r\n\r\n".encode()),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_websockets_would_write_carry_our_headers_and_quote_nothing(
    open_hub: Any, case: str
) -> None:
    display = open_hub()
    want, payload = REFUSALS[case]
    data = exchange(display.port, payload)
    assert not data.endswith(b"<still open>")
    ((status, headers, body),) = responses(data)
    assert status == want
    missing = OUR_HEADERS - set(headers)
    assert not missing, f"{case}: no {missing}"
    assert MARKER.lower().encode() not in data.lower(), f"{case} echoes the request: {data[-300:]!r}"
    if status == 426:
        assert headers["upgrade"] == "websocket"


def test_a_subprotocol_refusal_names_what_the_server_speaks_not_what_was_offered(open_hub: Any) -> None:
    display = open_hub()
    data = exchange(display.port, get("/ws", UPGRADE + f"Sec-WebSocket-Protocol: {MARKER}\r\n"))
    ((status, headers, body),) = responses(data)
    assert status == 400 and OUR_HEADERS <= set(headers)
    assert b"glyphcast.json.v1" in body and MARKER.encode() not in body


# -- logs ----------------------------------------------------------------------------------------
def test_a_refused_path_reaches_the_log_escaped(open_hub: Any, caplog: pytest.LogCaptureFixture) -> None:
    display = open_hub()
    caplog.set_level(logging.INFO)
    exchange(display.port, b"GET /\x1b]0;owned\x07\x1b[6n HTTP/1.1\r\nHost: evil.example\r\n\r\n")
    exchange(display.port, b"GET /%1b]52;c;Y3VybA==%07 HTTP/1.1\r\nHost: evil.example\r\n\r\n")
    lines = [r.getMessage() for r in caplog.records]
    assert any("refused" in line for line in lines), lines
    assert not any("\x1b" in line or "\x07" in line for line in lines), lines


# -- /healthz without a main stream ------------------------------------------------------------
def test_healthz_answers_on_a_port_with_only_named_streams(open_hub: Any) -> None:
    from hub_fixtures import free_port

    port = free_port()
    open_hub(port=port, stream="a")
    open_hub(port=port, stream="b")
    ((status, headers, body),) = responses(exchange(port, get("/healthz")))
    assert status == 200 and OUR_HEADERS <= set(headers)
    health = json.loads(body)
    assert health["status"] == "ok" and health["streams"] == ["a", "b"]


# -- the head reader against websockets' own parser ---------------------------------------------
def websockets_parse(head: bytes) -> Request:
    reader = StreamReader()
    reader.feed_data(head)
    parser = Request.parse(reader.read_line)
    try:
        next(parser)
    except StopIteration as done:
        return done.value
    raise AssertionError("websockets wanted more bytes than the head")


token = st.text(
    alphabet="!#$%&'*+.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-",
    min_size=1,
    max_size=12,
)
value = st.binary(max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    method=token,
    target=st.binary(min_size=1, max_size=40),
    headers=st.lists(st.tuples(token, value), max_size=6),
    chunks=st.integers(1, 5),
)
def test_what_the_head_reader_lets_through_websockets_reads_the_same(
    method: str, target: bytes, headers: list[tuple[str, bytes]], chunks: int
) -> None:
    head = method.encode() + b" " + target + b" HTTP/1.1\r\n"
    head += b"".join(name.encode() + b": " + raw + b"\r\n" for name, raw in headers) + b"\r\n"
    reader = HeadReader()
    step = max(1, len(head) // chunks)
    try:
        found = None
        for start in range(0, len(head), step):
            found = reader.feed(head[start : start + step]) or found
    except BadRequest:
        return  # refused by us, with our headers: websockets never sees it
    assert found is not None and found.raw == head[: head.index(b"\r\n\r\n") + 4]
    request = websockets_parse(found.raw)  # must not raise
    assert request.method == method and request.path.encode() == target


def test_the_head_reader_hands_over_exactly_the_head_and_skips_leading_empty_lines() -> None:
    reader = HeadReader()
    assert reader.feed(b"\r\n\r\nGET / HT") is None
    head = reader.feed(b"TP/1.1\r\nHost: x\r\n\r\nGET /again HTTP/1.1\r\n\r\n")
    assert head is not None and head.raw == b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" and head.method == "GET"
    with pytest.raises(BadRequest) as refused:
        parse(b"GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\n")
    assert refused.value.status == 400
