"""Producer liveness over Redis: an edge's viewers learn when the producer stops, however it stops.

The producer writes ``end`` on every orderly stop and a heartbeat while idle; an
edge that hears nothing for ``stall_after`` seconds tells its viewers
``producer`` {state: "stalled"} (protocol v1.2), "live" again when entries come,
"reconnecting" while Redis itself is away, and ends the stream (``end`` + 1000)
``end_after`` seconds into a stall. Real processes: ``glyphcast run`` producers
stopped with SIGTERM and SIGKILL, ``glyphcast run`` edges, WebSocket viewers.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from edges import Edge, Viewer, wait_until
from glyphcast import Stream
from glyphcast_redis import RedisDisplay, entries
from redis_fixtures import RedisServer, entries_in, free_port
from test_outage import Engine

pytestmark = pytest.mark.timeout(120)

#: What the issue asks: a producer's stop reaches an edge's viewer within this many seconds.
NOTICE_WITHIN = 5.0


class Run:
    """``python -m glyphcast run ARGS`` as a process, its output kept."""

    def __init__(self, *args: str) -> None:
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "glyphcast", "run", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip())

    def says(self, text: str) -> bool:
        return any(text in line for line in self.output)

    def exit_status(self, timeout: float) -> int | None:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def producer(redis_server: RedisServer, stream: str, fps: float) -> Run:
    """The demo at ``fps`` published to Redis: at 0.2 fps it is idle 5 s between frames."""
    return Run(
        "--source",
        "demo",
        "--size",
        "30x4",
        "--fps",
        str(fps),
        "--display",
        f"redis:url={redis_server.url},stream={stream}",
    )


def edge(redis_server: RedisServer, stream: str, port: int, options: str) -> Run:
    return Run(
        "--source",
        f"redis:url={redis_server.url},stream={stream},{options}",
        "--display",
        f"websocket:port={port},control=false",
    )


@contextmanager
def running(*runs: Run) -> Iterator[None]:
    try:
        yield
    finally:
        for run in runs:
            run.stop()


def watch(port: int, edge_run: Run) -> tuple[Viewer, threading.Thread]:
    assert wait_until(lambda: edge_run.says("serving http://") or edge_run.process.poll() is not None, 30), (
        edge_run.output
    )
    viewer = Viewer(f"ws://127.0.0.1:{port}/ws")
    thread = viewer.start()
    assert wait_until(lambda: viewer.last is not None, 20), "no frame reached the edge's viewer"
    return viewer, thread


# -- real producers, real edges, real viewers -----------------------------------------------------
def test_an_idle_producer_stays_live_and_a_killed_one_is_stalled_within_5s_then_its_stream_ends_after_the_grace(
    redis_server: RedisServer, stream_name: str
) -> None:
    port = free_port()
    source = producer(redis_server, stream_name, fps=0.2)
    server = edge(redis_server, stream_name, port, "stall_after=3,end_after=3")
    with running(source, server):
        viewer, thread = watch(port, server)
        time.sleep(7)  # a frame every 5 s: the heartbeat alone keeps the producer heard between them
        assert viewer.states() == []

        killed = time.monotonic()
        source.process.send_signal(signal.SIGKILL)
        assert wait_until(lambda: viewer.first("stalled") is not None, 15), (viewer.producers, server.output)
        stalled = viewer.first("stalled")
        assert stalled is not None and stalled - killed <= NOTICE_WITHIN

        thread.join(20)
        assert viewer.ended is not None and viewer.ended_at is not None, server.output
        assert viewer.ended_at - stalled >= 2.5  # the grace (3 s), measured loosely
        assert "silent" in viewer.ended
        assert viewer.close_code == 1000
        assert viewer.states() == ["stalled"]
        assert server.exit_status(15) == 0, server.output


def test_a_producer_stopped_with_sigterm_is_stalled_at_once_live_again_with_the_next_run_and_ends_after_the_grace(
    redis_server: RedisServer, stream_name: str
) -> None:
    """The default edge (exit_on_end=false): the producer's ``end`` makes it tell viewers at once; the
    stream ends if no producer is heard within ``end_after``."""
    port = free_port()
    server = edge(redis_server, stream_name, port, "end_after=6")
    first = producer(redis_server, stream_name, fps=5)
    second: Run | None = None
    with running(first, server):
        viewer, thread = watch(port, server)
        stopped = time.monotonic()
        first.process.send_signal(signal.SIGTERM)
        assert first.exit_status(15) == 143
        assert wait_until(lambda: viewer.first("stalled") is not None, 10), (viewer.producers, server.output)
        stalled = viewer.first("stalled")
        assert stalled is not None and stalled - stopped <= NOTICE_WITHIN

        second = producer(redis_server, stream_name, fps=5)
        with running(second):
            assert wait_until(lambda: viewer.states()[-1:] == ["live"], 30), (viewer.producers, second.output)
            assert viewer.ended is None
            stopped = time.monotonic()
            second.process.send_signal(signal.SIGTERM)
            assert second.exit_status(15) == 143
            thread.join(30)
    assert viewer.states() == ["stalled", "live", "stalled"]
    assert viewer.producers[-1][0] - stopped <= NOTICE_WITHIN
    assert (
        viewer.ended
    )  # the producer's own reason (the redis display's "the producer stopped", or the run's)
    assert viewer.ended_at is not None and viewer.ended_at - viewer.producers[-1][0] >= 5.0
    assert viewer.close_code == 1000


def test_with_exit_on_end_a_producer_stopped_with_sigterm_ends_its_edge_s_viewers_within_5s(
    redis_server: RedisServer, stream_name: str
) -> None:
    port = free_port()
    source = producer(redis_server, stream_name, fps=5)
    server = edge(redis_server, stream_name, port, "exit_on_end=true")
    with running(source, server):
        viewer, thread = watch(port, server)
        stopped = time.monotonic()
        source.process.send_signal(signal.SIGTERM)
        thread.join(20)
        assert viewer.ended, server.output  # the producer's own reason
        assert viewer.ended_at is not None and viewer.ended_at - stopped <= NOTICE_WITHIN
        assert viewer.close_code == 1000
        assert server.exit_status(15) == 0


def test_viewers_are_told_reconnecting_while_redis_is_away_and_live_when_the_producer_is_heard_again(
    own_redis: RedisServer, stream_name: str
) -> None:
    display = RedisDisplay(url=own_redis.url, stream=stream_name)
    with Stream([("redis", display)]) as stream:
        stream.init(30, 3)
        engine = Engine(stream)
        engine.thread.start()
        on_edge = Edge(own_redis.url, stream_name, exit_on_end=False)
        try:
            viewer = Viewer(on_edge.display.ws_url)
            viewer.start()
            assert wait_until(lambda: viewer.last is not None, 10)
            own_redis.kill()
            assert wait_until(lambda: viewer.states() == ["reconnecting"], 10), viewer.producers
            time.sleep(3)  # away for longer than stall_after: still "reconnecting", never "stalled"
            assert viewer.states() == ["reconnecting"]
            own_redis.start()
            assert wait_until(lambda: viewer.states() == ["reconnecting", "live"], 15), viewer.producers
            seq = viewer.last[0] if viewer.last else 0
            assert wait_until(lambda: viewer.last is not None and viewer.last[0] > seq + 10, 10)
        finally:
            engine.stop()
            on_edge.close()


# -- the producer's side ------------------------------------------------------------------------------
def test_an_orderly_stop_publishes_the_end_after_the_last_frame(
    redis_server: RedisServer, stream_name: str
) -> None:
    with Stream([("redis", RedisDisplay(url=redis_server.url, stream=stream_name))]) as stream:
        stream.init(10, 2)
        stream.show(["last"])
    written = [
        entries.decode(fields)
        for _, fields in entries_in(redis_server.client().xrange(entries.key(stream_name)))
    ]
    assert [m["type"] for m in written] == ["frame", "end"]
    assert written[-1]["reason"] == "the producer stopped" and written[-1]["seq"] == 1


def test_an_idle_producer_writes_a_small_heartbeat_about_once_a_second(
    redis_server: RedisServer, stream_name: str
) -> None:
    client = redis_server.client()
    with Stream([("redis", RedisDisplay(url=redis_server.url, stream=stream_name))]) as stream:
        stream.init(200, 60)
        stream.show(["x" * 200] * 60)
        time.sleep(3.5)
        written = entries_in(client.xrange(entries.key(stream_name)))
    beats = [fields for _, fields in written if entries.decode(fields)["type"] == "heartbeat"]
    assert 2 <= len(beats) <= 5, [entries.decode(f)["type"] for _, f in written]
    assert all(len(fields[entries.FIELD]) < 64 for fields in beats)  # cheap: no rows
