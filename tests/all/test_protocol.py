"""glyphcast.protocol without sockets: the message builders, client JSON decoding and the token subprotocol."""

from __future__ import annotations

import contextlib
import json

import pytest
from glyphcast import CodecError, Frame, protocol
from hypothesis import given
from hypothesis import strategies as st


def test_hello_carries_the_v1_fields_and_v1_1_fields_only_when_given() -> None:
    base = protocol.hello(
        server="glyphcast/0.1.0",
        codec=protocol.DIFF_SUBPROTOCOL,
        width=80,
        height=24,
        role=protocol.ROLE_VIEWER,
    )
    assert base == {
        "type": "hello",
        "protocol": 1,
        "server": "glyphcast/0.1.0",
        "codec": "glyphcast.diff.v1",
        "width": 80,
        "height": 24,
        "role": "viewer",
    }
    full = protocol.hello(
        server="s", codec="c", width=1, height=2, role="controller", stream="main", codecs=iter(["c", "d"])
    )
    assert full["stream"] == "main" and full["codecs"] == ["c", "d"]


def test_frame_and_delta_messages_keep_the_v1_field_names() -> None:
    base = Frame(("aa", "bb"), 2, 2, 4, 10.5)
    frame = Frame(("aa", "BB"), 2, 2, 5, 11.5)
    assert protocol.frame_message(frame) == {
        "type": "frame",
        "seq": 5,
        "ts": 11.5,
        "width": 2,
        "height": 2,
        "lines": ("aa", "BB"),
    }
    assert protocol.delta_message(frame.delta(base)) == {
        "type": "delta",
        "seq": 5,
        "base": 4,
        "ts": 11.5,
        "width": 2,
        "height": 2,
        "rows": ((1, "BB"),),
    }


def test_a_cursor_rides_on_frames_and_deltas_whole_and_only_when_there_is_one() -> None:
    base = Frame(("aa", "bb"), 2, 2, 4, 10.5, cursor=(0, 0))
    moved = Frame(("aa", "bb"), 2, 2, 5, 11.5, cursor=(1, 1))
    assert protocol.frame_message(moved)["cursor"] == [1, 1]
    delta = protocol.delta_message(moved.delta(base))
    assert delta["rows"] == () and delta["cursor"] == [1, 1]  # no row changed, the cursor still moves
    hidden = Frame(("aa", "bb"), 2, 2, 6, 12.0)
    assert "cursor" not in protocol.frame_message(hidden)  # absent: no cursor drawn
    assert "cursor" not in protocol.delta_message(hidden.delta(moved))
    assert moved.delta(base).apply(base) == moved


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (protocol.clear(7), {"type": "clear", "seq": 7}),
        (protocol.state({"scene": "x"}), {"type": "state", "state": {"scene": "x"}}),
        (protocol.pong(1.5, 2.0), {"type": "pong", "ts": 1.5, "server_ts": 2.0}),
        (protocol.error(protocol.FORBIDDEN, "no"), {"type": "error", "code": "forbidden", "message": "no"}),
        (
            protocol.end(9, "program exited with status 0"),
            {"type": "end", "seq": 9, "reason": "program exited with status 0"},
        ),
        (protocol.presence(3, 1), {"type": "presence", "viewers": 3, "controllers": 1}),
        (protocol.producer("stalled"), {"type": "producer", "state": "stalled"}),
    ],
)
def test_every_builder_makes_a_map_of_a_server_type(
    message: dict[str, object], expected: dict[str, object]
) -> None:
    assert message == expected
    assert message["type"] in protocol.SERVER_TYPES


def test_message_type_sets_are_disjoint_where_they_must_be() -> None:
    assert protocol.VIEWER_TYPES.isdisjoint(protocol.CONTROLLER_TYPES)
    assert protocol.CLIENT_TYPES == protocol.VIEWER_TYPES | protocol.CONTROLLER_TYPES
    assert protocol.SERVER_TYPES - protocol.SERVER_TYPES_V1 == {"end", "presence", "producer"}
    assert protocol.ERROR_CODES == {
        "bad_message",
        "unknown_type",
        "bad_field",
        "out_of_range",
        "forbidden",
        "rate_limited",
        "unsupported",
    }
    assert protocol.CLOSE_CODES == {
        "NORMAL": 1000,
        "GOING_AWAY": 1001,
        "POLICY": 1008,
        "TOO_BIG": 1009,
        "INTERNAL": 1011,
        "TRY_AGAIN_LATER": 1013,
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('{"type": "ping", "ts": 1.5}', {"type": "ping", "ts": 1.5}),
        (b'{"type": "input", "data": "\xc3\xa9"}', {"type": "input", "data": "é"}),
        ("[1, 2]", [1, 2]),
        ("2e30", 2e30),
        ("12345678901234567890", 12345678901234567890),
    ],
)
def test_decode_json_returns_the_value(data: str | bytes, expected: object) -> None:
    assert protocol.decode_json(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        "",
        "{",
        "[" * 100_000,
        '{"a": [' * 5_000,
        "NaN",
        '{"ts": -Infinity}',
        "1e999",
        b"\xff",
        b"\xc3",
        '{"a": 1} {"b": 2}',
        "9" * 5000,
    ],
    ids=[
        "empty",
        "truncated",
        "deep-array",
        "deep-map",
        "nan",
        "infinity",
        "overflow",
        "not-utf8",
        "cut-utf8",
        "two-values",
        "int-too-long",
    ],
)
def test_decode_json_turns_every_failure_into_codec_error(data: str | bytes) -> None:
    with pytest.raises(CodecError, match="^not valid JSON"):
        protocol.decode_json(data)


@given(st.binary(max_size=64) | st.text(max_size=64))
def test_decode_json_raises_nothing_but_codec_error(data: str | bytes) -> None:
    with contextlib.suppress(CodecError):  # the one failure it may report; anything else fails the test
        protocol.decode_json(data)


@pytest.mark.parametrize("token", ["s3cret", "a b/c+d=e", "ключ", "x" * 100, "?"])
def test_token_round_trips_through_a_subprotocol_made_of_token_characters(token: str) -> None:
    entry = protocol.token_subprotocol(token)
    assert entry.startswith("glyphcast.token.") and "=" not in entry
    # RFC 6455: a subprotocol is an RFC 7230 token; base64url's alphabet is a subset.
    assert all(c.isalnum() or c in "-_." for c in entry)
    offered = ["glyphcast.diff.v1", entry, "glyphcast.json.v1"]
    assert protocol.token_from_subprotocols(offered) == token
    assert protocol.codec_subprotocols(offered) == ["glyphcast.diff.v1", "glyphcast.json.v1"]


def test_token_subprotocol_matches_the_viewers_encoding() -> None:
    # client/src/protocol.js tokenSubprotocol("s3cret") (see client/test/protocol.test.js)
    assert protocol.token_subprotocol("s3cret") == "glyphcast.token.czNjcmV0"


def test_no_token_entry_means_no_token() -> None:
    assert protocol.token_from_subprotocols(["glyphcast.json.v1"]) is None


@pytest.mark.parametrize(
    "entry", ["glyphcast.token.", "glyphcast.token.czNjcmV0=", "glyphcast.token.cz!j", "glyphcast.token._w"]
)
def test_a_malformed_token_entry_is_a_codec_error(entry: str) -> None:
    with pytest.raises(CodecError, match="malformed token subprotocol"):
        protocol.token_from_subprotocols([entry])


def test_builders_are_json_serializable() -> None:
    frame = Frame(("a",), 1, 1, 1, 0.0)
    for message in (protocol.frame_message(frame), protocol.end(1, "done"), protocol.presence(0, 0)):
        assert json.loads(json.dumps(message))["type"] == message["type"]


def test_every_error_code_is_in_the_protocol_docs_table() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
    for code in protocol.ERROR_CODES:
        assert f"| `{code}` |" in doc, f"error code {code} is not documented in docs/protocol.md"
