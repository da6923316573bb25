"""Presence (protocol v1.1): each stream tells its clients how many watch and how many control.

Broadcast when a client joins or leaves, at most once a second, latest-wins,
and never when the counts did not change.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from glyphcast_json import JsonCodec
from glyphcast_websocket.delivery import EncodeCache, Outbox, Wire
from glyphcast_websocket.presence import PresenceClock
from glyphcast_websocket.testing import CONTROL_TOKEN, connect, receive, receive_until, wait_for
from hub_fixtures import free_port
from websockets.exceptions import ConnectionClosed

JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(60)


def counts(message: dict[str, Any]) -> tuple[int, int]:
    return message["viewers"], message["controllers"]


def next_presence(ws: Any, timeout: float = 5.0) -> tuple[int, int]:
    return counts(receive_until(ws, "presence", timeout))


def settles_at(ws: Any, expected: tuple[int, int], timeout: float = 4.0) -> None:
    """Presences arrive until one says ``expected`` (clients closing one after the other may pass by others)."""
    receive_until(ws, lambda m: m["type"] == "presence" and counts(m) == expected, timeout)


def presences_within(ws: Any, seconds: float) -> list[tuple[float, tuple[int, int]]]:
    """Every presence received in the next ``seconds`` (other messages skipped), with when it came."""
    seen = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = receive(ws, left, ambient=True)
        except TimeoutError:
            break
        if message["type"] == "presence":
            seen.append((time.monotonic(), counts(message)))
    return seen


# -- the decision, without sockets ------------------------------------------------
def test_the_first_change_goes_out_at_once_and_later_ones_wait_out_the_second() -> None:
    clock = PresenceClock(interval=1.0)
    assert clock.changed(10.0) == 0.0
    assert clock.changed(10.0) is None  # already scheduled: one timer, not one per change
    clock.fired(10.0, sent=True)
    assert clock.changed(10.2) == pytest.approx(0.8)
    assert clock.changed(10.5) is None
    clock.fired(11.0, sent=True)
    assert clock.changed(15.0) == 0.0


def test_a_broadcast_that_changed_nothing_does_not_hold_back_the_next() -> None:
    clock = PresenceClock(interval=1.0)
    clock.changed(10.0)
    clock.fired(10.0, sent=False)
    assert clock.changed(10.1) == 0.0


def test_a_slow_client_gets_only_the_newest_presence() -> None:
    codec, cache = JsonCodec(), EncodeCache()
    outbox = Outbox(codec)
    for viewers in (2, 3, 4):
        outbox.presence(Wire.of(codec.encode({"type": "presence", "viewers": viewers, "controllers": 0})), (viewers, 0))
    wire = outbox.next(None, cache)
    assert wire is not None and json.loads(wire.payload)["viewers"] == 4
    assert outbox.next(None, cache) is None
    assert outbox.presence_counts == (4, 0)  # what it has: the same counts are not sent again


# -- a real hub --------------------------------------------------------------------------
def test_counts_follow_clients_as_they_come_and_go(open_hub: Any) -> None:
    display = open_hub(control_token=CONTROL_TOKEN)
    with connect(display, JSON) as watcher:
        assert next_presence(watcher) == (1, 0)
        with connect(display, JSON, control=True) as controller:
            assert next_presence(watcher) == (2, 1)
            assert next_presence(controller) == (2, 1)
            with connect(display, JSON) as third:
                assert next_presence(watcher) == (3, 1)
                assert next_presence(third) == (3, 1)
            assert next_presence(watcher) == (2, 1)
        assert next_presence(watcher) == (1, 0)


def test_at_most_one_presence_a_second_under_a_join_leave_storm(open_hub: Any) -> None:
    display = open_hub()
    stop = threading.Event()
    joins = []

    def storm() -> None:
        while not stop.is_set():
            try:
                with connect(display, JSON):
                    joins.append(1)
            except (OSError, ConnectionClosed):
                pass

    with connect(display, JSON) as watcher:
        assert next_presence(watcher) == (1, 0)
        threads = [threading.Thread(target=storm) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            seen = presences_within(watcher, 3.5)
        finally:
            stop.set()
            for thread in threads:
                thread.join(10)
        assert len(joins) > 20, "the storm did not storm"
        assert 2 <= len(seen) <= 4, seen
        gaps = [later - earlier for (earlier, _), (later, _) in zip(seen, seen[1:], strict=False)]
        assert min(gaps) > 0.8, gaps  # sent 1 s apart at least; the margin is for the reading thread
        # Once the storm is over (its last clients may leave across a tick), the counts settle on the
        # watcher alone, and then nothing more is sent.
        if seen[-1][1] != (1, 0):
            settles_at(watcher, (1, 0))
        assert presences_within(watcher, 1.5) == []


def test_no_presence_is_sent_while_nothing_changes(open_hub: Any) -> None:
    display = open_hub()
    with connect(display, JSON) as ws:
        assert next_presence(ws) == (1, 0)
        for i in range(20):
            display.show([f"frame {i}"])
            time.sleep(0.1)
        kinds = set()
        deadline = time.monotonic() + 1.0
        while (left := deadline - time.monotonic()) > 0:
            try:
                kinds.add(receive(ws, left, ambient=True)["type"])
            except TimeoutError:
                break
        assert kinds == {"frame"}


def test_a_client_that_joins_and_leaves_within_the_second_changes_nothing(open_hub: Any) -> None:
    display = open_hub()
    with connect(display, JSON) as watcher:
        assert next_presence(watcher) == (1, 0)  # the second starts now
        started = time.monotonic()
        with connect(display, JSON) as passing:
            receive_until(passing, "hello")
        assert wait_for(lambda: len(display.room.sessions) == 1)
        if time.monotonic() - started > 0.8:
            pytest.skip("this machine took most of the second to connect and leave: nothing to prove")
        assert presences_within(watcher, 2.0) == []


def test_each_stream_counts_only_its_own_clients(open_hub: Any) -> None:
    port = free_port()
    a = open_hub(port=port, stream="a")
    b = open_hub(port=port, stream="b")
    assert a.hub is b.hub
    with connect(a, JSON, path="/s/a/ws") as in_a, connect(b, JSON, path="/s/b/ws") as in_b:
        assert next_presence(in_a) == (1, 0)
        assert next_presence(in_b) == (1, 0)
        with connect(b, JSON, path="/s/b/ws"), connect(b, JSON, path="/s/b/ws"):
            assert next_presence(in_b) == (3, 0)
            assert presences_within(in_a, 1.5) == []
        settles_at(in_b, (1, 0))
        assert presences_within(in_a, 1.5) == []
