"""The hub tells its clients whether the stream's producer is heard from (protocol v1.2 ``producer``):
on a change to every client, to a client that joins while it is not "live", the newest state only."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from glyphcast import ProducerDisplay
from glyphcast_json import JsonCodec
from glyphcast_websocket import HubDisplay
from glyphcast_websocket.delivery import EncodeCache, Outbox, Wire
from glyphcast_websocket.testing import connect, receive, receive_until
from websockets.exceptions import ConnectionClosed

JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(60)


def producer_states_within(ws: Any, seconds: float) -> list[str]:
    """Every ``producer`` state received in the next ``seconds`` (other messages skipped)."""
    seen = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = receive(ws, left, ambient=True)
        except (TimeoutError, ConnectionClosed):
            break
        if message["type"] == "producer":
            seen.append(message["state"])
    return seen


def test_every_client_is_told_when_the_producer_stalls_and_when_it_is_heard_again(open_hub: Any) -> None:
    display = open_hub()
    assert isinstance(display, HubDisplay)
    assert isinstance(display, ProducerDisplay)
    display.show(["frozen"])
    with connect(display, JSON) as first, connect(display, JSON) as second:
        for ws in (first, second):
            receive_until(ws, "frame")
        display.producer("stalled")
        for ws in (first, second):
            assert receive_until(ws, "producer") == {"type": "producer", "state": "stalled"}
        display.producer("reconnecting")
        display.producer("live")
        display.show(["moving"])
        for ws in (first, second):
            message = receive_until(ws, lambda m: m["type"] == "producer" and m["state"] == "live")
            assert message == {"type": "producer", "state": "live"}
            assert receive_until(ws, "frame")["lines"][0].startswith("moving")


def test_a_client_that_joins_while_the_producer_is_silent_is_told_and_one_that_joins_while_live_is_not(
    open_hub: Any,
) -> None:
    display = open_hub()
    display.show(["last screen"])
    display.producer("reconnecting")
    time.sleep(0.2)  # the hub's loop has taken it
    with connect(display, JSON) as late:
        assert receive(late)["type"] == "hello"
        assert producer_states_within(late, 1.5) == ["reconnecting"]
    display.producer("live")
    time.sleep(0.2)
    with connect(display, JSON) as later:
        assert receive(later)["type"] == "hello"
        assert producer_states_within(later, 1.5) == []  # live is what every client assumes


def test_a_client_that_is_behind_gets_only_the_newest_state_and_not_the_one_it_has() -> None:
    codec, cache = JsonCodec(), EncodeCache()
    outbox = Outbox(codec)
    assert outbox.producer_state == "live"
    for state in ("stalled", "reconnecting", "stalled"):
        outbox.producer(Wire.of(codec.encode({"type": "producer", "state": state})), state)
    wire = outbox.next(None, cache)
    assert wire is not None and json.loads(wire.payload) == {"type": "producer", "state": "stalled"}
    assert outbox.next(None, cache) is None
    assert outbox.producer_state == "stalled"  # what it has: the hub does not send it again


def test_after_the_end_the_producer_state_is_not_sent(open_hub: Any) -> None:
    display = open_hub()
    display.show(["the end"])
    with connect(display, JSON) as ws:
        receive_until(ws, "frame")
        display.end("done")
        display.producer("stalled")
        seen = []
        with pytest.raises(ConnectionClosed):
            while True:
                seen.append(receive(ws, 5, ambient=True)["type"])
    assert "end" in seen and "producer" not in seen


def test_a_state_outside_the_protocol_is_refused_on_the_caller_s_thread(open_hub: Any) -> None:
    display = open_hub()
    with pytest.raises(ValueError, match="not one of live, reconnecting, stalled"):
        display.producer("gone")
    with connect(display, JSON) as ws:  # the hub is unharmed
        assert receive(ws)["type"] == "hello"
        display.show(["fine"])
        assert receive_until(ws, "frame")["lines"][0].startswith("fine")
