"""Edge processes sharing one port (SO_REUSEPORT): both take viewers; one dies, its viewers go to the other."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from edges import ReconnectingViewer, Viewer, wait_until
from glyphcast import Stream
from glyphcast_redis import RedisDisplay
from redis_fixtures import RedisServer, free_port
from test_outage import Engine

pytestmark = pytest.mark.timeout(90)


class EdgeProcess:
    """``glyphcast run --source redis:... --display websocket:port=P,reuse_port=true,control=false``."""

    def __init__(self, url: str, stream: str, port: int) -> None:
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "glyphcast",
                "run",
                "--source",
                f"redis:url={url},stream={stream},exit_on_end=true",
                "--display",
                f"websocket:port={port},reuse_port=true,control=false",
            ],
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

    def serving(self) -> bool:
        return any("serving http://" in line for line in self.output)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@contextmanager
def edges(url: str, stream: str, port: int, count: int) -> Iterator[list[EdgeProcess]]:
    started = [EdgeProcess(url, stream, port) for _ in range(count)]
    try:
        assert wait_until(lambda: all(e.serving() or e.process.poll() is not None for e in started), 30)
        assert all(e.process.poll() is None for e in started), [e.output for e in started]
        yield started
    finally:
        for edge in started:
            edge.stop()


def test_two_edge_processes_share_a_port_and_a_dead_edge_s_viewers_resync_on_the_other(
    redis_server: RedisServer, stream_name: str
) -> None:
    display = RedisDisplay(url=redis_server.url, stream=stream_name)
    producer = Stream([("redis", display)])
    producer.init(40, 3)
    engine = Engine(producer)
    engine.thread.start()
    port = free_port()
    viewers = [ReconnectingViewer(f"ws://127.0.0.1:{port}/ws") for _ in range(16)]
    try:
        with edges(redis_server.url, stream_name, port, 2) as (first, second):
            for viewer in viewers:
                viewer.start()
            assert wait_until(
                lambda: all(v.last is not None and v.last[0] >= engine.seq - 3 for v in viewers), 10
            )

            os.kill(first.process.pid, signal.SIGKILL)  # no goodbye: its viewers see the connection drop
            killed_at = engine.seq
            assert wait_until(lambda: sum(v.dropped for v in viewers) > 0, 5)
            time.sleep(0.3)
            moved = [v for v in viewers if v.dropped]
            # Both edges had viewers: the kernel spread the connections over the two listeners.
            assert 0 < len(moved) < len(viewers)
            # Each moved viewer reconnected (with the viewer's backoff) to the surviving edge, got a keyframe
            # and follows the live stream again; the others never noticed.
            assert wait_until(
                lambda: all(
                    v.connections == 2 and v.last is not None and v.last[0] > killed_at + 15 for v in moved
                ),
                10,
            )
            assert all(v.connections == 1 for v in viewers if not v.dropped)
            live = engine.seq
            assert wait_until(lambda: all(v.last is not None and v.last[0] >= live for v in viewers), 3)

            # The producer's end reaches the surviving edge's process (exit_on_end=true): viewers get `end`, it exits 0.
            engine.stop()
            producer.end("the show is over")
            assert wait_until(lambda: all(v.ended == "the show is over" for v in viewers), 10)
            assert second.process.wait(10) == 0, second.output
    finally:
        engine.stop()
        producer.cleanup()
        for viewer in viewers:
            viewer.stopping.set()
    assert all(v.close_code == 1000 for v in viewers)


def test_an_edge_stopped_by_sigterm_goes_away_so_its_viewers_reconnect_instead_of_seeing_an_end(
    redis_server: RedisServer, stream_name: str
) -> None:
    """The stream is the producer's, still live: an edge's restart is a server going away (1001), not
    the end that a producer stopped by SIGTERM sends (the redis source ``relays``)."""
    producer = Stream([("redis", RedisDisplay(url=redis_server.url, stream=stream_name))])
    producer.init(40, 3)
    engine = Engine(producer)
    engine.thread.start()
    port = free_port()
    try:
        with edges(redis_server.url, stream_name, port, 1) as (edge,):
            viewer = Viewer(f"ws://127.0.0.1:{port}/ws")
            watching = viewer.start()
            assert wait_until(lambda: viewer.last is not None, 10)
            edge.stop()
            watching.join(10)
            assert edge.process.returncode == 128 + signal.SIGTERM, edge.output
            assert (viewer.ended, viewer.close_code) == (None, 1001)
    finally:
        engine.stop()
        producer.cleanup()
