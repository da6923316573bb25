"""The session protocol without sockets: hello, client messages to replies and events, what goes out next."""

from __future__ import annotations

import json
from typing import Any

import pytest
from glyphcast import ClientInfo, Frame
from glyphcast_json import JsonCodec
from glyphcast_websocket.delivery import EncodeCache, Wire
from glyphcast_websocket.handshake import EnabledCodecs, NoCodec, choose_subprotocol
from glyphcast_websocket.session import (
    Close,
    Command,
    Input,
    Limits,
    Resize,
    SessionProtocol,
    StateRequested,
)

JSON = "glyphcast.json.v1"


def session(role: str = "viewer", limits: Limits | None = None) -> SessionProtocol:
    info = ClientInfo(id=1, remote="127.0.0.1:1", codec=JSON, role=role)
    return SessionProtocol(info, JsonCodec(), limits or Limits())


def sent(protocol: SessionProtocol, latest: Frame | None = None) -> list[dict[str, Any]]:
    """Everything the session would write now, decoded."""
    cache, out = EncodeCache(), []
    while (wire := protocol.next(latest, cache)) is not None:
        out.append(json.loads(wire.payload))
    return out


def frame(seq: int, text: str = "x") -> Frame:
    return Frame.from_buffer([text], 4, 1, seq)


def test_hello_goes_first_with_the_role_and_codec_then_the_newest_frame() -> None:
    protocol = session("controller")
    protocol.hello(server="glyphcast/test", width=4, height=1)
    messages = sent(protocol, frame(7))
    assert [m["type"] for m in messages] == ["hello", "frame"]
    assert messages[0] == {
        "type": "hello",
        "protocol": 1,
        "server": "glyphcast/test",
        "codec": JSON,
        "width": 4,
        "height": 1,
        "role": "controller",
        "codecs": [],
    }
    assert messages[1]["seq"] == 7  # the stream's own seq


def test_a_ping_gets_a_pong_and_no_event() -> None:
    protocol = session()
    assert protocol.receive(json.dumps({"type": "ping", "ts": 12.5})) is None
    (pong,) = sent(protocol)
    assert pong["type"] == "pong" and pong["ts"] == 12.5 and pong["server_ts"] > 0


def test_controller_messages_become_events() -> None:
    protocol = session("controller")
    assert protocol.receive('{"type": "resize", "width": 100, "height": 30}') == Resize(100, 30)
    assert protocol.receive('{"type": "command", "command": {"preset": "storm"}}') == Command(
        {"preset": "storm"}
    )
    assert protocol.receive('{"type": "input", "data": "q"}') == Input("q")
    assert protocol.receive('{"type": "state_request"}') == StateRequested()
    assert sent(protocol) == []  # none of them has a reply of its own


def test_a_viewer_sending_controller_messages_gets_forbidden_and_no_event() -> None:
    protocol = session("viewer")
    for message in ({"type": "resize", "width": 10, "height": 10}, {"type": "input", "data": "x"}):
        assert protocol.receive(json.dumps(message)) is None
    errors = sent(protocol)
    assert [e["code"] for e in errors] == ["forbidden", "forbidden"]


@pytest.mark.parametrize("data", ["not json", "[1, 2]", '{"type": 5}', '{"type": "nope"}', b"\x00\x01"])
def test_bad_messages_get_an_error_reply_and_no_event(data: str | bytes) -> None:
    protocol = session("controller")
    assert protocol.receive(data) is None
    (error,) = sent(protocol)
    assert error["type"] == "error" and error["code"] in {"bad_message", "unknown_type"}


def test_state_answers_a_request_and_resync_forces_a_keyframe() -> None:
    protocol = session()
    latest = frame(3)
    assert [m["type"] for m in sent(protocol, latest)] == ["frame"]
    protocol.state({"preset": "calm"})
    assert sent(protocol, latest) == [{"type": "state", "state": {"preset": "calm"}}]
    assert protocol.receive('{"type": "resync"}') is None
    assert [m["seq"] for m in sent(protocol, latest)] == [3]


def test_a_client_over_its_rate_is_told_so() -> None:
    protocol = session(limits=Limits(rate=0.0, burst=2))
    for _ in range(3):
        protocol.receive('{"type": "resync"}')
    assert [m["code"] for m in sent(protocol)] == ["rate_limited"]


def test_a_client_that_never_reads_its_replies_is_closed_with_1008() -> None:
    protocol = session(limits=Limits(rate=1e9, burst=1e9, max_replies=4))
    events = [protocol.receive('{"type": "ping", "ts": 1}') for _ in range(5)]
    assert events[:4] == [None] * 4
    assert isinstance(events[4], Close) and events[4].code == 1008


def test_a_restarted_numbering_is_sent_as_a_keyframe() -> None:
    protocol = session()
    assert [m["seq"] for m in sent(protocol, frame(5))] == [5]
    protocol.restart()
    assert [(m["type"], m["seq"]) for m in sent(protocol, frame(5, "y"))] == [("frame", 5)]


def test_clear_sends_the_notice_then_a_keyframe() -> None:
    protocol = session()
    sent(protocol, frame(2))
    protocol.clear(Wire.of('{"type": "clear", "seq": 2}'))
    assert [m["type"] for m in sent(protocol, frame(3))] == ["clear", "frame"]


def test_no_codec_quotes_what_the_client_offered_escaped_and_bounded() -> None:
    codecs = EnabledCodecs()
    codecs.add([JsonCodec()])
    offered = ["evil\x1b]0;pwned\x07", "x" * 5000, *(f"p{i}.v1" for i in range(100))]
    with pytest.raises(NoCodec) as caught:
        choose_subprotocol(offered, codecs.by_subprotocol, JSON)
    text = str(caught.value)
    assert "\x1b" not in text and "\\x1b" in text  # the escape sequence is written out, never sent raw
    assert len(text) < 400 and "and 98 more" in text
    assert text.endswith("this server speaks glyphcast.json.v1")


def test_the_first_offered_enabled_subprotocol_wins() -> None:
    codecs = EnabledCodecs()
    codecs.add([JsonCodec()])
    enabled = codecs.by_subprotocol
    assert choose_subprotocol(["x.v1", JSON], enabled, JSON) == JSON
    assert choose_subprotocol([], enabled, JSON) is None  # seed clients: the default codec
    with pytest.raises(NoCodec, match="this server speaks glyphcast.json.v1"):
        choose_subprotocol(["x.v1"], enabled, JSON)
    codecs.add([JsonCodec()])
    codecs.remove([JsonCodec()])
    assert JSON in codecs.by_subprotocol  # still enabled by the other display
    codecs.remove([JsonCodec()])
    with pytest.raises(NoCodec, match="offer one of nothing"):
        choose_subprotocol([], codecs.by_subprotocol, JSON)
