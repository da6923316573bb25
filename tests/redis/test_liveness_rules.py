"""Producer liveness over Redis, the parts without I/O: what the producer writes while idle, and what an
edge decides from what it hears, on a clock the test sets (:class:`glyphcast_redis.liveness.Liveness`)."""

from __future__ import annotations

import pytest
from glyphcast import Frame
from glyphcast.handoff import Ended
from glyphcast_redis import entries
from glyphcast_redis.liveness import Liveness
from glyphcast_redis.publisher import Publisher
from glyphcast_redis.replica import Replica


def test_heartbeats_count_towards_the_keyframe_spacing_so_a_capped_stream_keeps_a_keyframe() -> None:
    publisher = Publisher("run", keyframe_interval=2.0, keyframe_entries=4)
    frame = Frame(("a",), 1, 1, 1, 0.0)
    kinds = [m["type"] for m in publisher.plan([frame], 0.0)]
    for second in range(1, 13):
        kinds += [m["type"] for m in publisher.idle(float(second))]
    assert kinds == ["frame"] + (["heartbeat"] * 4 + ["frame"]) * 2 + ["heartbeat"] * 2
    publisher.plan([Ended(frame, "done")], 13.0)
    assert publisher.idle(14.0) == []  # nothing follows an end, not even a heartbeat


def test_a_heartbeat_is_checked_like_any_entry_and_shows_nothing() -> None:
    beat = entries.heartbeat(7, "run")
    assert entries.decode(entries.encode(beat)) == {"type": "heartbeat", "seq": 7, "run": "run"}
    replica = Replica(10, 2)
    assert replica.apply(beat, (1, 0)) is None
    with pytest.raises(entries.EntryError):
        entries.decode(entries.encode({**beat, "seq": -1}))


def test_silence_of_stall_after_is_a_stall_and_anything_heard_is_live_again() -> None:
    liveness = Liveness(stall_after=3.0, end_after=30.0, now=0.0)
    liveness.heard(1.0)
    assert liveness.update(3.9) == "live"
    assert liveness.update(4.0) == "stalled"
    liveness.heard(10.0)
    assert liveness.update(10.0) == "live"


def test_a_stall_ends_the_stream_end_after_seconds_later_with_the_reason() -> None:
    liveness = Liveness(stall_after=3.0, end_after=30.0, now=0.0)
    liveness.heard(1.0)
    assert not liveness.over(33.9)
    assert liveness.over(34.0)
    assert "silent" in liveness.reason


def test_an_end_from_the_producer_stalls_at_once_and_ends_after_the_grace_with_its_reason() -> None:
    liveness = Liveness(stall_after=3.0, end_after=10.0, now=0.0)
    liveness.heard(1.0)
    liveness.said_end(2.0, "the program exited")
    assert liveness.state == "stalled"
    assert not liveness.over(11.9)
    assert liveness.over(12.0)
    assert liveness.reason == "the program exited"


def test_end_after_0_never_ends_and_an_edge_that_had_nothing_never_ends() -> None:
    never = Liveness(stall_after=3.0, end_after=0.0, now=0.0)
    never.heard(1.0)
    assert never.update(100.0) == "stalled" and not never.over(10**6)
    waiting = Liveness(stall_after=3.0, end_after=5.0, now=0.0)
    assert waiting.update(4.0) == "stalled"  # no producer yet: it is not heard from
    assert not waiting.over(10**6)  # but a stream that has not begun does not end
    waiting.shown()
    assert waiting.over(10**6)


def test_while_redis_is_away_it_is_reconnecting_never_stalled_nor_ended_and_after_it_the_stall_timer_starts_anew() -> (
    None
):
    liveness = Liveness(stall_after=3.0, end_after=5.0, now=0.0)
    liveness.heard(1.0)
    liveness.unreachable(2.0)
    assert liveness.update(100.0) == "reconnecting" and not liveness.over(100.0)
    liveness.reachable(100.0)
    assert liveness.update(102.9) == "reconnecting"  # Redis answers; the producer is not heard yet
    assert liveness.update(103.0) == "stalled"
    assert not liveness.over(107.9) and liveness.over(108.0)
    again = Liveness(stall_after=3.0, end_after=5.0, now=0.0)
    again.unreachable(1.0)
    again.reachable(2.0)
    again.heard(2.5)
    assert again.update(2.5) == "live"
