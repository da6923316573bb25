"""Presence (protocol v1.1): each stream tells its clients how many watch and how many control.

Broadcast when a client joins or leaves, at most once a second, latest-wins,
and never when the counts did not change.

The hubs here pace presence on a :class:`~glyphcast.clock.FakeClock`: a second
passes when the test says so, so nothing waits on real seconds and no result
depends on how loaded the machine is. Each check reads what a client was sent
up to a ``pong``: the hub answers a ``ping`` after everything it did before
it, so the list is exact, not "what arrived within some time".
"""

from __future__ import annotations

import ast
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import glyphcast_websocket
import pytest
from glyphcast.clock import FakeClock
from glyphcast_json import JsonCodec
from glyphcast_websocket import HubDisplay
from glyphcast_websocket.delivery import EncodeCache, Outbox, Wire
from glyphcast_websocket.presence import INTERVAL, PresenceSchedule
from glyphcast_websocket.testing import CONTROL_TOKEN, connect, receive, receive_until, send, wait_for
from hub_fixtures import free_port
from websockets.exceptions import ConnectionClosed

JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(60)

_pings = itertools.count(1)


def on_fake_clock(*displays: HubDisplay) -> FakeClock:
    """One FakeClock that the streams of ``displays`` pace presence on (set before any client joins)."""
    clock = FakeClock()
    for display in displays:
        assert display.room is not None and not display.room.sessions
        display.room.clock = clock
    return clock


def until_pong(ws: Any) -> list[dict[str, Any]]:
    """Every message the hub sent ``ws`` before answering a ping sent now."""
    ts = next(_pings)
    send(ws, {"type": "ping", "ts": ts})
    seen = []
    while (message := receive(ws, ambient=True))["type"] != "pong" or message["ts"] != ts:
        seen.append(message)
    return seen


def presences(ws: Any) -> list[tuple[int, int]]:
    """The (viewers, controllers) of every ``presence`` the hub sent ``ws`` so far, in order."""
    return [(m["viewers"], m["controllers"]) for m in until_pong(ws) if m["type"] == "presence"]


@contextmanager
def joined(display: HubDisplay, **options: Any) -> Iterator[Any]:
    """A client, once the hub counts it: its ``hello`` comes right after it joined its stream."""
    with connect(display, JSON, **options) as ws:
        receive_until(ws, "hello")
        yield ws


def clients(display: HubDisplay, count: int) -> bool:
    """Whether the hub's loop has let every other client go (a close reaches the loop a little later)."""
    return wait_for(lambda: display.room is not None and len(display.room.sessions) == count)


# -- the decision, without sockets ------------------------------------------------
def test_the_first_change_goes_out_at_once_and_later_ones_wait_out_the_second() -> None:
    schedule = PresenceSchedule(interval=1.0)
    assert schedule.changed(10.0) == 0.0
    assert schedule.changed(10.0) is None  # already scheduled: one timer, not one per change
    schedule.fired(10.0, sent=True)
    assert schedule.changed(10.2) == pytest.approx(0.8)
    assert schedule.changed(10.5) is None
    schedule.fired(11.0, sent=True)
    assert schedule.changed(15.0) == 0.0


def test_a_broadcast_that_changed_nothing_does_not_hold_back_the_next() -> None:
    schedule = PresenceSchedule(interval=1.0)
    schedule.changed(10.0)
    schedule.fired(10.0, sent=False)
    assert schedule.changed(10.1) == 0.0


def test_a_slow_client_gets_only_the_newest_presence() -> None:
    codec, cache = JsonCodec(), EncodeCache()
    outbox = Outbox(codec)
    for viewers in (2, 3, 4):
        outbox.presence(
            Wire.of(codec.encode({"type": "presence", "viewers": viewers, "controllers": 0})), (viewers, 0)
        )
    wire = outbox.next(None, cache)
    assert wire is not None and json.loads(wire.payload)["viewers"] == 4
    assert outbox.next(None, cache) is None
    assert outbox.presence_counts == (4, 0)  # what it has: the same counts are not sent again


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_presence_decision_needs_no_loop_no_thread_no_clock_and_no_socket() -> None:
    """presence.py and every hub module it imports, however indirectly: sans-I/O all the way down."""
    package = Path(glyphcast_websocket.__file__).parent
    io = {"asyncio", "threading", "time", "socket", "selectors", "ssl", "websockets", "glyphcast.clock"}
    seen, todo = set(), ["presence"]
    while todo:
        module = todo.pop()
        seen.add(module)
        imported = _imports(package / f"{module}.py")
        reached = {name for name in imported if name.split(".")[0] in io or name in io}
        assert not reached, f"presence.py reaches {sorted(reached)} through {module}.py"
        todo += [
            name.split(".")[1]
            for name in imported
            if name.startswith("glyphcast_websocket.") and name.split(".")[1] not in seen
        ]


# -- a real hub, on a fake clock ------------------------------------------------------------
def test_counts_follow_clients_as_they_come_and_go(open_hub: Any) -> None:
    display = open_hub(control_token=CONTROL_TOKEN)
    clock = on_fake_clock(display)
    with connect(display, JSON) as watcher:
        assert presences(watcher) == [(1, 0)]  # the first change goes out at once
        with joined(display, control=True) as controller:
            assert presences(watcher) == []  # within the second
            assert clock.timers == [INTERVAL]
            clock.advance(INTERVAL)
            assert presences(watcher) == [(2, 1)]
            assert presences(controller) == [(2, 1)]
            with joined(display) as third:
                clock.advance(INTERVAL)
                assert presences(watcher) == [(3, 1)]
                assert presences(controller) == [(3, 1)]
                assert presences(third) == [(3, 1)]
            assert clients(display, 2)
            clock.advance(INTERVAL)
            assert presences(watcher) == [(2, 1)]
            assert presences(controller) == [(2, 1)]
        assert clients(display, 1)
        clock.advance(INTERVAL)
        assert presences(watcher) == [(1, 0)]


def test_a_join_leave_storm_within_one_second_sends_one_presence_on_one_timer(open_hub: Any) -> None:
    display = open_hub()
    clock = on_fake_clock(display)
    with connect(display, JSON) as watcher:
        assert presences(watcher) == [(1, 0)]
        for _ in range(30):
            with joined(display):
                pass
        with joined(display):
            assert clients(display, 2)
            assert clock.timers == [INTERVAL]  # one timer for the stream, not one per client
            assert presences(watcher) == []
            clock.advance(INTERVAL - 0.001)
            assert presences(watcher) == []
            clock.advance(0.001)
            assert presences(watcher) == [(2, 0)]  # the counts as they are when the second is over
            clock.advance(10 * INTERVAL)
            assert presences(watcher) == []  # nothing changed since


def test_presences_are_a_second_apart_under_a_storm_from_many_threads(open_hub: Any) -> None:
    display = open_hub()
    clock = on_fake_clock(display)
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
        assert presences(watcher) == [(1, 0)]
        with joined(display):  # stays through the storm: the counts are never (1, 0) again until it leaves
            threads = [threading.Thread(target=storm) for _ in range(4)]
            for thread in threads:
                thread.start()
            seen: list[tuple[int, int]] = []
            try:
                assert wait_for(lambda: len(joins) > 20, timeout=30), "the storm did not storm"
                for _ in range(16):  # four seconds in quarters, the storm going on
                    clock.advance(INTERVAL / 4)
                    assert len(clock.timers) <= 1  # one timer for the stream, whatever the storm
                    new = presences(watcher)
                    assert len(new) <= 1, new  # two presences are a second apart: never in one quarter
                    seen += new
            finally:
                stop.set()
                for thread in threads:
                    thread.join(10)
            assert 1 <= len(seen) <= 4, (
                seen
            )  # at most once in each of the four seconds, and the counts changed
            assert (1, 0) not in seen, seen
        # Once everyone else is gone the counts settle on the watcher alone, then nothing more is sent.
        assert clients(display, 1)
        clock.advance(INTERVAL)
        assert presences(watcher)[-1:] == [(1, 0)]
        clock.advance(10 * INTERVAL)
        assert presences(watcher) == []


def test_no_presence_is_sent_while_nothing_changes(open_hub: Any) -> None:
    display = open_hub()
    clock = on_fake_clock(display)
    with connect(display, JSON) as ws:
        assert presences(ws) == [(1, 0)]
        for i in range(20):
            display.show([f"frame {i}"])
            clock.advance(INTERVAL / 2)
        assert wait_for(
            lambda: (
                display.room is not None and display.room.latest is not None and display.room.latest.seq == 20
            )
        )
        assert {m["type"] for m in until_pong(ws)} == {"frame"}


def test_a_client_that_joins_and_leaves_within_the_second_changes_nothing(open_hub: Any) -> None:
    display = open_hub()
    clock = on_fake_clock(display)
    with connect(display, JSON) as watcher:
        assert presences(watcher) == [(1, 0)]  # the second starts now
        with joined(display):
            pass
        assert clients(display, 1)
        assert clock.timers == [INTERVAL]
        clock.advance(INTERVAL)
        assert presences(watcher) == []  # (1, 0) again: what the watcher already has


def test_each_stream_counts_only_its_own_clients(open_hub: Any) -> None:
    port = free_port()
    a = open_hub(port=port, stream="a")
    b = open_hub(port=port, stream="b")
    assert a.hub is b.hub
    clock = on_fake_clock(a, b)
    with connect(a, JSON, path="/s/a/ws") as in_a, connect(b, JSON, path="/s/b/ws") as in_b:
        assert presences(in_a) == [(1, 0)]
        assert presences(in_b) == [(1, 0)]
        with joined(b, path="/s/b/ws"), joined(b, path="/s/b/ws"):
            clock.advance(INTERVAL)
            assert presences(in_b) == [(3, 0)]
            assert presences(in_a) == []
        assert clients(b, 1)
        clock.advance(INTERVAL)
        assert presences(in_b) == [(1, 0)]
        assert presences(in_a) == []
