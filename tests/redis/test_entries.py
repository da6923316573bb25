"""The sans-I/O half, without Redis: the entry format, what the producer writes, what an edge rebuilds, the backlog."""

from __future__ import annotations

import threading
import time
from typing import Any

import msgpack
import pytest
from glyphcast import Frame
from glyphcast.handoff import Cleared, Ended
from glyphcast_redis import entries
from glyphcast_redis.backlog import Backlog
from glyphcast_redis.publisher import Publisher
from glyphcast_redis.replica import Clear, End, Lost, Replica, Show, position
from hypothesis import given, settings
from hypothesis import strategies as st


def frame(
    seq: int, rows: tuple[str, ...] = ("a", "b"), width: int = 4, cursor: tuple[int, int] | None = None
) -> Frame:
    return Frame(rows, width, len(rows), seq, 1000.0 + seq / 3, cursor)


def through_redis(message: dict[str, Any]) -> dict[str, Any]:
    """What a reader gets back: packed into the entry's field and checked."""
    return entries.decode(entries.encode(message))


class Positions:
    """Positions in a Redis stream, as Redis hands them out: each entry after the last."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> tuple[int, int]:
        self.n += 1
        return (1_700_000_000_000 + self.n // 3, self.n % 3)


def test_entry_ids_are_positions_in_the_order_redis_keeps() -> None:
    assert position(b"1700000000000-10") > position(b"1700000000000-9") > position("1699999999999-99")


# -- the format ---------------------------------------------------------------------
def test_a_keyframe_and_a_delta_round_trip_with_seq_ts_rows_and_cursor() -> None:
    a = frame(1, ("\x1b[31mred\x1b[0m", "two", "\u6f22\u5b57"), cursor=(2, 1))
    b = Frame(("\x1b[31mred\x1b[0m", "TWO", "\u6f22\u5b57"), 4, 3, 2, 1234.567, None)
    key = through_redis(entries.keyframe(a, "r1"))
    assert entries.frame_of(key) == a
    delta = through_redis(entries.delta(b, a, "r1"))
    assert (delta["type"], delta["seq"], delta["base"], delta["ts"], delta["rows"]) == (
        "delta",
        2,
        1,
        1234.567,
        [[1, "TWO"]],
    )
    assert "cursor" not in delta and key["cursor"] == (2, 1) and key["run"] == "r1"


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {b"m": b"\xc1"},
        {b"m": msgpack.packb([1, 2])},
        {b"m": msgpack.packb({"type": "nope", "run": "r", "seq": 1})},
        {
            b"m": msgpack.packb(
                {"type": "frame", "run": "r", "seq": 1, "ts": 1.0, "width": 2, "height": 2, "lines": ["x"]}
            )
        },
        {
            b"m": msgpack.packb(
                {
                    "type": "delta",
                    "run": "r",
                    "seq": 2,
                    "base": 1,
                    "ts": 1.0,
                    "width": 2,
                    "height": 2,
                    "rows": [[5, "x"]],
                }
            )
        },
        {
            b"m": msgpack.packb(
                {"type": "frame", "run": "r", "seq": True, "ts": 1.0, "width": 2, "height": 1, "lines": ["x"]}
            )
        },
        {
            b"m": msgpack.packb(
                {
                    "type": "frame",
                    "run": "r",
                    "seq": 1,
                    "ts": float("nan"),
                    "width": 2,
                    "height": 1,
                    "lines": ["x"],
                }
            )
        },
        {b"m": msgpack.packb({"type": "end", "run": "r", "seq": 1})},
    ],
)
def test_entries_glyphcast_did_not_write_are_refused_in_one_line(fields: dict[bytes, bytes]) -> None:
    with pytest.raises(entries.EntryError) as error:
        entries.decode(fields)
    assert "\n" not in str(error.value)


# -- the producer's side --------------------------------------------------------------
def kinds(messages: list[dict[str, Any]]) -> list[str]:
    return [m["type"] for m in messages]


def test_the_first_frame_is_a_keyframe_then_deltas_from_the_last_frame_redis_took() -> None:
    publisher = Publisher("r", keyframe_interval=60)
    messages = publisher.plan([frame(1), frame(2, ("a", "c")), frame(3, ("d", "c"))], now=0)
    assert kinds(messages) == ["frame", "delta", "delta"]
    assert [m.get("base") for m in messages] == [None, 1, 2]
    assert messages[2]["rows"] == ((0, "d"),)


def test_keyframes_come_on_resize_after_clear_after_a_gap_after_a_failure_and_on_time_and_count() -> None:
    publisher = Publisher("r", keyframe_interval=2.0, keyframe_entries=3)
    assert kinds(publisher.plan([frame(1), frame(2)], now=0)) == ["frame", "delta"]
    assert kinds(publisher.plan([frame(3, ("a", "b", "c"))], now=0)) == ["frame"]  # a new size
    assert kinds(publisher.plan([Cleared(3), frame(4)], now=0)) == ["clear", "frame"]
    assert kinds(publisher.plan([frame(5)], now=0, gap=True)) == ["frame"]
    publisher.failed()
    assert kinds(publisher.plan([frame(6)], now=0)) == ["frame"]
    assert kinds(publisher.plan([frame(7)], now=2.5)) == ["frame"]  # keyframe_interval passed
    assert kinds(publisher.plan([frame(n) for n in range(8, 13)], now=2.6)) == ["delta"] * 3 + [
        "frame",
        "delta",
    ]


def test_the_end_carries_the_final_frame_and_nothing_follows_it() -> None:
    publisher = Publisher("r")
    final = frame(2)
    messages = publisher.plan([frame(1), Ended(final, "bye"), frame(3)], now=0)
    assert kinds(messages) == ["frame", "delta", "end"]
    assert messages[-1]["seq"] == 2 and messages[-1]["reason"] == "bye"


def test_after_an_outage_the_newest_screen_is_written_as_a_keyframe_and_the_end_again() -> None:
    publisher = Publisher("r")
    publisher.plan([frame(1)], now=0)
    publisher.failed()
    publisher.note([frame(2), frame(3, ("x", "y")), Ended(None, "done")])
    messages = publisher.resume(now=1)
    assert kinds(messages) == ["frame", "end"]
    assert messages[0]["seq"] == 3 and messages[0]["lines"] == ("x", "y") and messages[1]["seq"] == 3
    cleared = Publisher("r")
    cleared.note([frame(1), Cleared(1)])
    assert kinds(cleared.resume(now=0)) == ["clear"]


# -- the edge's side ------------------------------------------------------------------
def test_a_replica_rebuilds_every_frame_with_the_producer_s_seq_ts_and_cursor() -> None:
    shown = [frame(1, cursor=(0, 0)), frame(2, ("a", "X")), frame(3, ("Y", "X"), cursor=(3, 1))]
    publisher, replica, at = Publisher("r"), Replica(4, 2), Positions()
    events = [replica.apply(through_redis(m), at()) for m in publisher.plan(shown, now=0)]
    assert [e.frame for e in events if isinstance(e, Show)] == shown


def test_a_delta_that_does_not_fit_is_lost_and_never_shown() -> None:
    replica, at = Replica(4, 2), Positions()
    replica.apply(through_redis(entries.keyframe(frame(1), "r")), at())
    event = replica.apply(through_redis(entries.delta(frame(3, ("z", "b")), frame(2), "r")), at())
    assert isinstance(event, Lost) and "applies to frame 2, not 1" in event.why
    assert replica.screen is None


def test_after_a_seek_replayed_entries_rebuild_the_screen_without_being_shown_again() -> None:
    publisher, replica, at = Publisher("r", keyframe_interval=60), Replica(4, 2), Positions()
    messages = [
        (through_redis(m), at())
        for m in publisher.plan([frame(1), frame(2, ("q", "b")), frame(3, ("q", "r"))], now=0)
    ]
    assert all(isinstance(replica.apply(m, p), Show) for m, p in messages)
    replica.seek()
    assert [replica.apply(m, p) for m, p in messages] == [None, None, None]
    later = replica.apply(through_redis(publisher.plan([frame(4, ("s", "r"))], now=0)[0]), at())
    assert isinstance(later, Show) and later.frame.rows == ("s", "r")


def test_a_restarted_producer_starts_a_new_numbering_and_a_delta_before_its_keyframe_is_lost() -> None:
    replica, at = Replica(4, 2), Positions()
    replica.apply(through_redis(entries.keyframe(frame(50), "old")), at())
    assert isinstance(replica.apply(through_redis(entries.delta(frame(2), frame(1), "new")), at()), Lost)
    shown = replica.apply(through_redis(entries.keyframe(frame(1), "new")), at())
    assert isinstance(shown, Show) and shown.frame.seq == 1


def test_a_frame_numbered_far_ahead_does_not_make_the_producer_s_next_frames_look_old() -> None:
    """The red team's seq jump: one forged keyframe froze every edge until the producer restarted."""
    publisher, replica, at = (
        Publisher("r", keyframe_interval=60, keyframe_entries=3),
        Replica(4, 2),
        Positions(),
    )
    assert isinstance(replica.apply(through_redis(publisher.plan([frame(1)], now=0)[0]), at()), Show)
    forged = replica.apply(through_redis(entries.keyframe(frame(10**12, ("pw", "nd")), "r")), at())
    assert isinstance(forged, Show)
    events = [
        replica.apply(through_redis(m), at()) for m in publisher.plan([frame(n) for n in range(2, 8)], now=0)
    ]
    # The deltas do not fit the forged screen (the reader seeks); the producer's next keyframe is shown.
    assert isinstance(events[0], Lost)
    shown = [e.frame.seq for e in events if isinstance(e, Show)]
    assert shown and shown[-1] == 7


def test_a_frame_numbered_like_the_one_shown_is_not_shown_the_next_one_is() -> None:
    """The hub tells frames apart by seq: two different frames 5 in a row would leave viewers on the first."""
    replica, at = Replica(4, 2), Positions()
    replica.apply(through_redis(entries.keyframe(frame(5, ("pw", "nd")), "r")), at())
    assert replica.apply(through_redis(entries.keyframe(frame(5), "r")), at()) is None
    after = replica.apply(through_redis(entries.delta(frame(6, ("a", "c")), frame(5), "r")), at())
    assert isinstance(after, Show) and after.frame.rows == ("a", "c")


def test_size_changes_clear_and_end_are_what_the_edge_does() -> None:
    replica, at = Replica(4, 2), Positions()
    first = replica.apply(through_redis(entries.keyframe(frame(1), "r")), at())
    assert isinstance(first, Show) and not first.resized
    bigger = replica.apply(through_redis(entries.keyframe(frame(2, ("a", "b", "c"), width=9), "r")), at())
    assert isinstance(bigger, Show) and bigger.resized
    assert replica.apply(through_redis(entries.clear(2, "r")), at()) == Clear()
    end = at()
    assert replica.apply(through_redis(entries.end(2, "the program exited", "r")), end) == End(
        "the program exited"
    )
    assert replica.apply(through_redis(entries.end(2, "the program exited", "r")), end) is None  # replayed


# -- producer -> edge, any order of events, any drops -------------------------------------
Step = tuple[str, int]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("show"), st.integers(0, 3)),
        st.tuples(st.just("resize"), st.integers(1, 4)),
        st.tuples(st.just("clear"), st.just(0)),
        st.tuples(st.just("drop"), st.just(0)),  # Redis lost the next batch (an outage): a gap
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(steps, st.booleans())
def test_an_edge_shows_exactly_the_frames_the_producer_published_whatever_happened(
    script: list[Step], ending: bool
) -> None:
    publisher, replica, at = (
        Publisher("r", keyframe_interval=60, keyframe_entries=5),
        Replica(4, 2),
        Positions(),
    )
    width, height, seq, drop = 4, 2, 0, False
    rows = ["" for _ in range(height)]
    published: dict[int, Frame] = {}
    shown: list[Frame] = []
    screen: Frame | None = None

    def deliver(messages: list[dict[str, Any]]) -> None:
        nonlocal screen
        for message in messages:
            read = through_redis(message)
            if read["type"] == "frame":
                published[read["seq"]] = entries.frame_of(read)
            event = replica.apply(read, at())
            if isinstance(event, Lost):
                replica.seek()
            elif isinstance(event, Show):
                shown.append(event.frame)
                screen = event.frame
            elif isinstance(event, Clear):
                screen = None

    for action, value in script:
        if action == "drop":
            drop = True
            continue
        if action == "resize":
            height = value
            rows = (rows + [""] * height)[:height]
            continue
        if action == "clear":
            events: list[Any] = [Cleared(seq)]
        else:
            seq += 1
            rows[value % height] = f"{seq}"
            events = [
                Frame(tuple(rows), width, height, seq, float(seq), (seq % width, 0) if seq % 2 else None)
            ]
        messages = publisher.plan(events, now=0)
        if drop:
            publisher.failed()
            publisher.note([])
            drop = False
            continue
        for message in messages:
            if message["type"] == "delta":
                published[message["seq"]] = events[-1]
        deliver(messages)
    publisher.failed()
    deliver(publisher.resume(now=0))  # Redis (back): the newest screen as a keyframe
    assert screen == publisher.screen, "the edge does not end on the producer's screen"
    if ending:
        deliver(publisher.plan([Ended(None, "bye")], now=0))
    expected = published
    assert [f.seq for f in shown] == sorted({f.seq for f in shown}), "a frame was shown twice or out of order"
    for f in shown:
        assert f == expected[f.seq], f"frame {f.seq} differs from what the producer showed"


# -- the backlog ----------------------------------------------------------------------
def test_the_backlog_keeps_order_up_to_its_bound_then_the_newest_replaces_the_rest() -> None:
    backlog: Backlog[int] = Backlog(bound=3)
    for n in range(3):
        backlog.put(n)
    batch = backlog.take(0)
    assert batch is not None and (batch.items, batch.gap) == ([0, 1, 2], False)
    for n in range(5):
        backlog.put(n)
    batch = backlog.take(0)
    assert batch is not None and (batch.items, batch.gap) == ([3, 4], True) and backlog.dropped == 3


def test_in_latest_wins_mode_only_the_newest_waits() -> None:
    backlog: Backlog[int] = Backlog(bound=100)
    backlog.latest_wins = True
    for n in range(50):
        backlog.put(n)
    assert len(backlog) == 1
    batch = backlog.take(0)
    assert batch is not None and (batch.items, batch.gap) == ([49], True)


def test_close_lets_the_worker_take_the_rest_then_none_and_wakes_it() -> None:
    backlog: Backlog[int] = Backlog(bound=10)
    taken: list[Any] = []
    worker = threading.Thread(target=lambda: taken.append(backlog.take()))
    worker.start()
    time.sleep(0.05)
    backlog.close()
    worker.join(2)
    assert taken == [None]
    assert backlog.put(1) is False


# -- junk -------------------------------------------------------------------------------
def test_junk_is_logged_once_per_interval_with_a_count_and_read_ever_more_slowly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from glyphcast_redis.source import JUNK_PATIENCE, JUNK_PAUSE, Junk

    now = [0.0]
    junk = Junk("edge", interval=10.0, clock=lambda: now[0])
    with caplog.at_level("WARNING", logger="glyphcast.redis"):
        for n in range(10_000):
            now[0] = n / 2000  # 5 s of junk
            junk.skipped("not msgpack: \x1b]0;t\x07")
        now[0] = 10.5
        junk.skipped("unknown type 'x'")
    lines = [r.getMessage() for r in caplog.records]
    assert (
        len(lines) == 2
        and "an entry" in lines[0]
        and "10000 entries" in lines[1]
        and "10001 in all" in lines[1]
    )
    assert "\x1b" not in lines[0] and "\\x1b]0;t\\x07" in lines[0]
    pauses = [junk.pause() for _ in range(10)]
    assert 0 < pauses[0] < pauses[3] and max(pauses) <= JUNK_PAUSE
    junk.fine()
    assert junk.pause() == 0.0 and junk.in_a_row == 0
    for _ in range(JUNK_PATIENCE - 1):
        junk.skipped("x")
    assert junk.pause() == 0.0  # a few bad entries among good ones cost nothing


# -- reconnecting -------------------------------------------------------------------------
def test_reconnect_delays_double_up_to_their_bound_with_jitter_and_start_over_after_a_reset() -> None:
    from glyphcast_redis.connection import Backoff
    from redis.backoff import EqualJitterBackoff

    backoff = Backoff(initial=0.1, maximum=1.0)
    assert isinstance(backoff._backoff, EqualJitterBackoff)  # redis-py's, not one of our own
    runs = []
    for _ in range(200):
        backoff.reset()
        runs.append([backoff.next() for _ in range(8)])
    for attempt in range(8):
        ceiling = min(1.0, 0.1 * 2**attempt)
        delays = [run[attempt] for run in runs]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempt, min(delays), max(delays))
        assert len(set(delays)) > 100  # jittered: edges dropped together do not come back in lockstep
    backoff.reset()
    assert backoff.next() <= 0.1
