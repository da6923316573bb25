"""Client-message checks, the rate limit and the access policy, without sockets."""

from __future__ import annotations

from typing import Any

import pytest
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


def test_malformed_json_and_binary_are_bad_messages() -> None:
    for data in ("{not json", b"\xff\xfe"):
        with pytest.raises(messages.Rejected) as caught:
            messages.decode(data, JsonCodec())
        assert caught.value.code == "bad_message"


def test_a_message_over_the_rate_is_rejected_as_rate_limited_naming_the_limits() -> None:
    rejected = messages.rate_limited(TokenBucket(rate=50, burst=100))
    assert rejected.code == "rate_limited"
    assert rejected.message == "too many messages: at most 50/s (bursts of 100)"
