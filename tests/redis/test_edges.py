"""Producer -> Redis -> two edge servers -> viewers on both: identical screens at identical seqs."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

import pytest
from edges import Edge, Viewer
from glyphcast import Frame, Stream
from glyphcast.displays import MemoryDisplay
from glyphcast.text import clean_row
from glyphcast_redis import RedisDisplay
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis_fixtures import RedisServer

pytestmark = pytest.mark.timeout(120)

actions = st.lists(
    st.one_of(
        st.tuples(st.just("show"), st.integers(0, 3), st.text("ab\x1b[31m\u6f22", max_size=6)),
        st.tuples(st.just("resize"), st.integers(1, 4), st.just("")),
        st.tuples(st.just("clear"), st.just(0), st.just("")),
        st.tuples(st.just("pause"), st.just(0), st.just("")),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.integers(1, 5), script=actions, split=st.integers(0, 30))
def test_viewers_of_two_edges_see_identical_screens_at_identical_seqs_and_the_same_end(
    redis_server: RedisServer, before: int, script: list[tuple[str, int, str]], split: int
) -> None:
    """Edge A joins after ``before`` frames, edge B ``split`` steps later: each starts at the newest keyframe
    and must number every frame as the producer did (a count of its own would not match)."""
    name = "p" + uuid.uuid4().hex[:12]
    edges: list[Edge] = []
    viewers: list[Viewer] = []
    threads = []
    produced = MemoryDisplay()

    def join_edge() -> None:
        edges.append(Edge(redis_server.url, name))
        viewers.append(Viewer(edges[-1].display.ws_url))
        threads.append(viewers[-1].start())

    try:
        width, height = 10, 2
        rows = ["", ""]
        with Stream(
            [("redis", RedisDisplay(url=redis_server.url, stream=name)), ("memory", produced)]
        ) as producer:
            producer.init(width, height)
            for n in range(before):
                producer.show([f"before {n}", ""])
            time.sleep(0.05)  # published: edge A starts in the middle of the stream
            join_edge()
            for step, (action, number, text) in enumerate(script):
                if step == split:
                    join_edge()
                if action == "show":
                    rows[number % height] = text
                    producer.show(list(rows), cursor=(number, 0) if number % 2 else None)
                elif action == "resize":
                    height = number
                    rows = (rows + [""] * height)[:height]
                    producer.init(width, height, reuse=True)
                elif action == "clear":
                    producer.clear()
                else:
                    time.sleep(0.02)
            if len(edges) < 2:
                join_edge()
            producer.show(["last"])
            producer.end("the script ended")
        for thread in threads:
            thread.join(10)
    finally:
        for edge in edges:
            edge.close()
    # Rows reach an edge's viewers as text and SGR: what the script's stray ESCs leave of them.
    shown: dict[int, Frame] = {
        f.seq: replace(f, rows=tuple(clean_row(row, f.width) for row in f.rows)) for f in produced.frames
    }
    last = shown[produced.frames[-1].seq]
    for viewer in viewers:
        assert viewer.ended == "the script ended" and viewer.close_code == 1000
        assert viewer.last is not None and viewer.last[0] == last.seq and viewer.last[1] == last.rows
        for seq, (w, h, lines) in viewer.screens.items():
            frame = shown[seq]
            assert (w, h, lines) == (frame.width, frame.height, frame.rows), (
                f"seq {seq} is not what the producer showed"
            )
    a, b = viewers
    common = a.screens.keys() & b.screens.keys()
    assert last.seq in common
    assert all(a.screens[seq] == b.screens[seq] for seq in common)
    assert all(edge.ended == "the script ended" for edge in edges)
