"""Client-message checks, the rate limit and the access policy, without sockets."""

from __future__ import annotations

from typing import Any

import pytest
from glyphcast import protocol
from glyphcast.ratelimit import TokenBucket
from glyphcast_json import JsonCodec
from glyphcast_websocket import messages

REJECTED: list[tuple[Any, str, str]] = [
    ([1, 2], "viewer", "bad_message"),
    ({"no": "type"}, "viewer", "bad_message"),
    ({"type": 7}, "viewer", "bad_message"),
    ({"type": "dance"}, "controller", "unknown_type"),
    ({"type": "ping"}, "viewer", "bad_field"),
    ({"type": "ping", "ts": "now"}, "viewer", "bad_field"),
    ({"type": "ping", "ts": True}, "viewer", "bad_field"),
    ({"type": "hello", "client": 5}, "viewer", "bad_field"),
    ({"type": "hello", "viewport": [1, 2]}, "viewer", "bad_field"),
    ({"type": "resize", "width": "80", "height": 24}, "controller", "bad_field"),
    ({"type": "resize", "width": 80.5, "height": 24}, "controller", "bad_field"),
    ({"type": "resize", "width": 0, "height": 24}, "controller", "out_of_range"),
    ({"type": "resize", "width": 80, "height": 1001}, "controller", "out_of_range"),
    ({"type": "resize", "width": 80, "height": 24}, "viewer", "forbidden"),
    ({"type": "command", "command": "next"}, "viewer", "forbidden"),
    ({"type": "input", "data": "q"}, "viewer", "forbidden"),
    ({"type": "command"}, "controller", "bad_field"),
    ({"type": "input", "data": 3}, "controller", "bad_field"),
]


@pytest.mark.parametrize(("message", "role", "code"), REJECTED)
def test_each_bad_message_is_rejected_with_its_code(message: Any, role: str, code: str) -> None:
    with pytest.raises(messages.Rejected) as caught:
        messages.check(message, role)
    assert caught.value.code == code
    assert caught.value.as_error()["type"] == "error" and caught.value.message


@pytest.mark.parametrize(
    ("message", "role"),
    [
        ({"type": "hello", "client": "x", "viewport": {"width": 800, "height": 600}}, "viewer"),
        ({"type": "ping", "ts": 12.5}, "viewer"),
        ({"type": "state_request"}, "viewer"),
        ({"type": "resync"}, "viewer"),
        ({"type": "resize", "width": 1000, "height": 1}, "controller"),
        ({"type": "command", "command": {"action": "next"}}, "controller"),
        ({"type": "input", "data": "\x1b[A"}, "controller"),
    ],
)
def test_good_messages_pass_unchanged(message: dict[str, Any], role: str) -> None:
    assert messages.check(message, role) is message


def test_the_schema_declares_every_client_message_type_and_nothing_else() -> None:
    assert set(messages.SCHEMA) == protocol.CLIENT_TYPES


#: One message per rule of the schema and of the walk, with its reply's code and text.
MESSAGES: list[tuple[Any, str, str]] = [
    ({"type": "hello", "client": None}, "bad_field", 'hello: "client" must be a string'),
    ({"type": "hello", "client": "x" * 257}, "out_of_range", 'hello: "client" is longer than 256 characters'),
    (
        {"type": "hello", "viewport": {"width": 1}},
        "bad_field",
        'hello: "viewport" must be {"width": number, "height": number}',
    ),
    (
        {"type": "hello", "viewport": {"width": 1, "height": 100_001}},
        "out_of_range",
        'hello: "viewport" 1x100001 is outside 0..100000 x 0..100000',
    ),
    ({"type": "ping"}, "bad_field", 'ping: "ts" must be a number'),
    ({"type": "ping", "ts": 1e300}, "out_of_range", 'ping: "ts" must be within +-2**53'),
    ({"type": "resize", "width": 80}, "bad_field", 'resize: "width" and "height" must be integers'),
    (
        {"type": "resize", "width": 80, "height": 0},
        "out_of_range",
        "resize: 80x0 is outside 1..1000 x 1..1000",
    ),
    ({"type": "command"}, "bad_field", 'command: the "command" field is missing'),
    ({"type": "input"}, "bad_field", 'input: "data" must be a string'),
    # input.data's own bound is every string's (16 Ki): the walk, which comes first, says so
    ({"type": "input", "data": "x" * 16_385}, "out_of_range", "a string is longer than 16384 characters"),
    ({"type": "resync", "x": [[[[[[[[1]]]]]]]]}, "bad_message", "nested deeper than 8 levels"),
    ({"type": "resync", "x": 2**53 + 1}, "out_of_range", "an integer is outside +-2**53"),
    ({"type": "resync", "x": float("nan")}, "out_of_range", "numbers must be finite (no NaN or Infinity)"),
    ({"type": "resync", "x": "x" * 16_385}, "out_of_range", "a string is longer than 16384 characters"),
    ({"type": "resync", "x": {"k" * 16_385: 1}}, "out_of_range", "a map key is longer than 16384 characters"),
    ({"type": "resync", "x": [0] * 1025}, "out_of_range", "a map or array has more than 1024 entries"),
    ({"type": "resync", "x": {1: 1}}, "bad_message", "map keys must be strings"),
    ({"type": "resync", "x": b""}, "bad_message", "values must be JSON types, not bytes"),
    (
        {"type": "resize", "width": 1, "height": 1},
        "forbidden",
        "'resize' needs the controller role; this connection is a viewer",
    ),
]


@pytest.mark.parametrize(("message", "code", "text"), MESSAGES)
def test_each_rule_says_what_is_wrong_in_its_own_words(message: Any, code: str, text: str) -> None:
    with pytest.raises(messages.Rejected) as caught:
        messages.check(message, "controller" if code != "forbidden" else "viewer")
    assert (caught.value.code, caught.value.message) == (code, text)


def test_malformed_json_and_binary_are_bad_messages() -> None:
    for data in ("{not json", b"\xff\xfe"):
        with pytest.raises(messages.Rejected) as caught:
            messages.decode(data, JsonCodec())
        assert caught.value.code == "bad_message"


def test_a_message_over_the_rate_is_rejected_as_rate_limited_naming_the_limits() -> None:
    rejected = messages.rate_limited(TokenBucket(rate=50, burst=100))
    assert rejected.code == "rate_limited"
    assert rejected.message == "too many messages: at most 50/s (bursts of 100)"
