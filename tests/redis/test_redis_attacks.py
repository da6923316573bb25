"""Whoever can write to the Redis stream is read like a client: sizes, rows, seq, end and junk are all checked.

The red team, with write access to Redis: one entry that jumped ``seq`` froze
every edge on its frame until the producer restarted; a 10000x10000 frame took
a viewer tab to a 1.2 GB heap; 20 MB rows pushed an edge from 114 to 865 MB;
a forged ``end`` made edges exit; rows carrying OSC/title sequences reached the
terminal display and recordings; junk entries spun an edge at 89% CPU logging
125 lines a second. Against a real redis-server.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgpack
import pytest
from glyphcast import Cue
from glyphcast.protocol import MAX_LABEL, MAX_SIDE
from glyphcast.text import max_row_chars
from glyphcast_redis import RedisDisplay, RedisSource, entries
from redis_fixtures import RedisServer, entries_in

pytestmark = pytest.mark.timeout(90)

SGR = re.compile(r"\x1b\[[0-9;:]*m")
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ATTACK = "\x1b]0;pwned\x07\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07\x1b[6n\x1b[c\x1bc\x9b6n\u202e\x7f"


def only_text_and_sgr(row: str) -> bool:
    text = SGR.sub("", row)
    return not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in BIDI for c in text)


class Follower:
    """A source's cues, collected on a thread (with when each came) until stopped or the source ends."""

    def __init__(self, source: RedisSource) -> None:
        self.source = source
        self.cues: list[tuple[float, Cue]] = []
        self.ended = threading.Event()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._follow, daemon=True)
        self.thread.start()

    def _follow(self) -> None:
        for cue in self.source:
            self.cues.append((time.monotonic(), cue))
            if self._stop.is_set():
                return
        self.ended.set()

    @property
    def frames(self) -> list[Cue]:
        return [cue for _, cue in self.cues if cue.rows is not None]

    def wait_for(self, condition: Any, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.02)
        return bool(condition())

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(10)
        self.source.close()


@contextmanager
def following(server: RedisServer, stream: str, **options: Any) -> Iterator[Follower]:
    follower = Follower(RedisSource(url=server.url, stream=stream, block=0.1, **options))
    try:
        yield follower
    finally:
        follower.stop()


@contextmanager
def producing(server: RedisServer, stream: str, interval: float = 0.02) -> Iterator[list[int]]:
    """A real producer showing ``genuine N`` every ``interval`` s, a keyframe every 0.3 s; yields the newest N."""
    display = RedisDisplay(url=server.url, stream=stream, keyframe_interval=0.3)
    display.init(20, 1)
    shown = [0]
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            shown[0] += 1
            display.show([f"genuine {shown[0]}"])
            time.sleep(interval)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield shown
    finally:
        stop.set()
        thread.join(5)
        display.cleanup()


def write(server: RedisServer, stream: str, message: dict[str, Any]) -> None:
    server.client().xadd(entries.key(stream), {b"m": msgpack.packb(message, use_bin_type=True)})


def newest_run(server: RedisServer, stream: str) -> str:
    _, fields = entries_in(server.client().xrevrange(entries.key(stream), count=1))[0]
    return str(entries.decode(fields)["run"])


def keyframe(run: str, seq: int, lines: list[str], width: int = 20, **extra: Any) -> dict[str, Any]:
    return {
        "type": "frame",
        "run": run,
        "seq": seq,
        "ts": 1.0,
        "width": width,
        "height": len(lines),
        "lines": lines,
        **extra,
    }


# -- seq ------------------------------------------------------------------------------
def test_a_forged_seq_jump_does_not_freeze_the_edges_on_the_attacker_s_frame(
    redis_server: RedisServer, stream_name: str
) -> None:
    with producing(redis_server, stream_name) as shown, following(redis_server, stream_name) as edge:
        assert edge.wait_for(lambda: any(c.rows and c.rows[0].startswith("genuine") for c in edge.frames))
        write(redis_server, stream_name, keyframe(newest_run(redis_server, stream_name), 10**12, ["pwned"]))
        assert edge.wait_for(lambda: any(c.rows == ("pwned",) for c in edge.frames)), (
            "the forged frame is shown"
        )
        forged_at = next(at for at, c in edge.cues if c.rows == ("pwned",))
        time.sleep(2.0)  # the producer goes on: keyframes every 0.3 s
        after = [(at, c) for at, c in edge.cues if at > forged_at and c.rows is not None]
        assert after, "the edge froze on the forged frame"
        first_genuine = after[0][0] - forged_at
        assert first_genuine < 1.5, f"genuine frames came back only after {first_genuine:.1f} s"
        newest = int(after[-1][1].rows[0].split()[1])  # type: ignore[index]
        assert newest >= shown[0] - 20, "the edge is not following the producer"
    seqs = [c.seq for _, c in after]
    assert len(set(seqs)) == len(seqs), "a seq was shown twice"


# -- sizes and rows --------------------------------------------------------------------
def test_a_frame_over_the_size_limit_is_skipped_and_the_limit_itself_is_shown(
    redis_server: RedisServer, stream_name: str
) -> None:
    with following(redis_server, stream_name) as edge:
        write(redis_server, stream_name, keyframe("r", 1, [""] * 10_000, width=10_000))
        write(redis_server, stream_name, keyframe("r", 2, ["x"] * 2, width=MAX_SIDE + 1))
        write(redis_server, stream_name, keyframe("r", 3, ["ok"], width=MAX_SIDE))
        assert edge.wait_for(lambda: len(edge.frames) >= 1)
    assert [(c.seq, c.size) for c in edge.frames] == [(3, (MAX_SIDE, 1))]
    assert edge.source.bad_entries == 2


def test_rows_over_their_bound_are_cut_on_arrival_and_entries_over_theirs_skipped(
    redis_server: RedisServer, stream_name: str
) -> None:
    big = "\x1b[31m" + "x" * 10_000_000
    with following(redis_server, stream_name) as edge:
        write(redis_server, stream_name, keyframe("r", 1, [big, "y"], width=80))
        write(
            redis_server,
            stream_name,
            {
                "type": "delta",
                "run": "r",
                "seq": 2,
                "base": 1,
                "ts": 2.0,
                "width": 80,
                "height": 2,
                "rows": [[1, "x" * (entries.MAX_ENTRY_BYTES + 1)]],
            },
        )
        write(
            redis_server,
            stream_name,
            {
                "type": "delta",
                "run": "r",
                "seq": 2,
                "base": 1,
                "ts": 2.0,
                "width": 80,
                "height": 2,
                "rows": [[1, big]],
            },
        )
        assert edge.wait_for(lambda: len(edge.frames) >= 2)
    assert all(len(row) <= max_row_chars(80) for c in edge.frames for row in c.rows or ())
    assert edge.frames[0].rows[0] == "\x1b[31m" + "x" * (max_row_chars(80) - 5)  # type: ignore[index]
    assert edge.source.bad_entries == 1


def test_rows_with_escape_sequences_reach_displays_as_text_and_sgr_only(
    redis_server: RedisServer, stream_name: str
) -> None:
    with following(redis_server, stream_name, exit_on_end=True) as edge:
        write(redis_server, stream_name, keyframe("r", 1, ["\x1b[1;31mred\x1b[0m " + ATTACK, "b"]))
        write(
            redis_server,
            stream_name,
            {
                "type": "delta",
                "run": "r",
                "seq": 2,
                "base": 1,
                "ts": 2.0,
                "width": 20,
                "height": 2,
                "rows": [[1, ATTACK + "tail"]],
            },
        )
        write(redis_server, stream_name, {"type": "end", "run": "r", "seq": 2, "reason": ATTACK + "x" * 1000})
        assert edge.ended.wait(10)
    rows = [row for c in edge.frames for row in c.rows or ()]
    assert len(rows) == 4 and all(only_text_and_sgr(row) for row in rows), rows
    assert rows[0].startswith("\x1b[1;31mred\x1b[0m ")
    reason = edge.source.end_reason
    assert reason is not None and only_text_and_sgr(reason) and len(reason) <= MAX_LABEL


# -- the end ----------------------------------------------------------------------------
def test_a_forged_end_does_not_end_the_edge_which_goes_on_with_the_producer(
    redis_server: RedisServer, stream_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="glyphcast.redis")
    with producing(redis_server, stream_name) as shown, following(redis_server, stream_name) as edge:
        assert edge.wait_for(lambda: len(edge.frames) > 3)
        for _ in range(20):
            write(
                redis_server,
                stream_name,
                {"type": "end", "run": newest_run(redis_server, stream_name), "seq": 1, "reason": "forged"},
            )
        at = shown[0]
        assert edge.wait_for(lambda: int((edge.frames[-1].rows or ("0 0",))[0].split()[1]) > at + 10)
        assert not edge.ended.is_set() and edge.source.end_reason is None
    ends = [r for r in caplog.records if "forged" in r.getMessage()]
    assert 1 <= len(ends) <= 2, [r.getMessage() for r in ends]  # one line per run's end, not one per entry


def test_exit_on_end_makes_the_edge_end_with_the_producer(
    redis_server: RedisServer, stream_name: str
) -> None:
    with following(redis_server, stream_name, exit_on_end=True) as edge:
        write(redis_server, stream_name, keyframe("r", 1, ["last"]))
        write(
            redis_server, stream_name, {"type": "end", "run": "r", "seq": 1, "reason": "the program exited"}
        )
        assert edge.ended.wait(10)
    assert edge.source.end_reason == "the program exited"
    assert [c.rows for c in edge.frames] == [("last",)]


# -- junk --------------------------------------------------------------------------------
JUNK_WRITER = """
import sys, time, redis
client = redis.Redis(port=int(sys.argv[1]))
key, until = sys.argv[2], time.monotonic() + float(sys.argv[3])
while time.monotonic() < until:
    pipe = client.pipeline(transaction=False)
    for n in range(500):
        pipe.xadd(key, {"m": b"\\xc1junk"} if n % 2 else {"x": "y"})
    pipe.execute()
"""


def test_a_flood_of_junk_costs_bounded_cpu_and_log_lines(
    redis_server: RedisServer, stream_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="glyphcast.redis")
    seconds = 4.0
    writer = subprocess.Popen(
        [sys.executable, "-c", JUNK_WRITER, str(redis_server.port), entries.key(stream_name), str(seconds)]
    )
    source = RedisSource(url=redis_server.url, stream=stream_name, block=0.1)
    cpu, started = time.thread_time(), time.monotonic()
    for _ in source:  # in this thread, so its CPU time is this thread's
        if time.monotonic() - started > seconds:
            break
    used = (time.thread_time() - cpu) / (time.monotonic() - started)
    source.close()
    writer.wait(30)
    written = redis_server.client().xlen(entries.key(stream_name))
    lines = [r for r in caplog.records if r.name == "glyphcast.redis"]
    assert written > 20_000, "the writer did not flood"
    assert used < 0.3, f"the edge spent {used:.0%} of a core on {written} junk entries"
    assert len(lines) <= 3, [r.getMessage() for r in lines]
    assert source.bad_entries > 0
