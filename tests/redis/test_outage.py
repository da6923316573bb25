"""Redis goes away for 3 s and comes back (empty, as a Redis without persistence does): nobody waits, everyone recovers."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from edges import Edge, Viewer, wait_until
from glyphcast import Stream
from glyphcast_redis import RedisDisplay
from redis_fixtures import RedisServer

pytestmark = pytest.mark.timeout(90)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


class Engine:
    """Shows a changing frame at 30 fps on its own thread and times every show()."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.costs: list[float] = []
        self.seq = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            self.seq += 1
            rows = [f"frame {self.seq}", f"{'#' * (self.seq % 40)}", "static"]
            began = time.perf_counter()
            self.stream.show(rows)
            self.costs.append(time.perf_counter() - began)
            self._stop.wait(max(0.0, started + self.seq / 30 - time.monotonic()))

    def window(self) -> int:
        return len(self.costs)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5)


def test_redis_killed_for_3s_the_engine_never_waits_and_edges_and_viewers_are_live_again_within_2s(
    own_redis: RedisServer, stream_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    display = RedisDisplay(url=own_redis.url, stream=stream_name)
    stream = Stream([("redis", display)])
    stream.init(40, 3)
    engine = Engine(stream)
    engine.thread.start()
    edges = [Edge(own_redis.url, stream_name), Edge(own_redis.url, stream_name)]
    viewers = [Viewer(edge.display.ws_url) for edge in edges]
    for viewer in viewers:
        viewer.start()
    try:
        assert wait_until(lambda: all(v.last is not None and v.last[0] >= engine.seq - 2 for v in viewers), 5)
        time.sleep(1.0)
        calm = engine.costs[engine.window() - 30 :]

        own_redis.kill()
        mark = engine.window()
        time.sleep(3.0)
        during = engine.costs[mark:]
        assert display.metrics()["redis_up"] == 0 and display.backlog.latest_wins
        assert "unreachable" in display.status() and "latest-wins" in display.status()
        frozen = [v.last[0] for v in viewers if v.last is not None]

        own_redis.start()
        back_at, live_seq = time.monotonic(), engine.seq
        assert wait_until(lambda: all(v.last is not None and v.last[0] >= live_seq for v in viewers), 2.0), (
            f"viewers at {[v.last[0] if v.last else None for v in viewers]}, live frame {live_seq} "
            f"{time.monotonic() - back_at:.1f} s after Redis came back"
        )
        recovered = time.monotonic() - back_at
    finally:
        engine.stop()
        stream.cleanup()
        for edge in edges:
            edge.close()

    # The engine's show() did not notice: its p99 during the outage is the p99 of calm times.
    assert len(during) >= 80, "the engine stalled while Redis was away"
    assert p99(during) <= 2 * p99(calm) + 50e-6, (
        f"show() p99 {p99(during) * 1e6:.0f} us during the outage, {p99(calm) * 1e6:.0f} us before"
    )
    assert max(frozen) < live_seq and recovered < 2.0
    assert display.metrics()["frames_dropped"] > 0 and display.metrics()["redis_outages"] == 1
    # One line when Redis went away and one when it was back, per producer and per edge: no traceback loop.
    ours = [r for r in caplog.records if r.name.startswith("glyphcast")]
    assert not [r for r in ours if r.exc_info], "a traceback was logged"
    assert len([r for r in ours if "Redis unreachable" in r.getMessage()]) == 3, [
        r.getMessage() for r in ours
    ]
    assert len([r for r in ours if "Redis is back" in r.getMessage()]) == 3, [r.getMessage() for r in ours]
    assert len([r for r in ours if r.name == "glyphcast.redis"]) == 6, [r.getMessage() for r in ours]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "an error was logged"
