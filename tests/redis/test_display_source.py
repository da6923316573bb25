"""The display and the source against a real redis-server: what is written, what is read back, exactly."""

from __future__ import annotations

import threading
import time
from typing import Any

import glyphcast
import pytest
from glyphcast import Frame, Stream
from glyphcast.displays import MemoryDisplay
from glyphcast.runner import Runner
from glyphcast.testing import DisplayConformance
from glyphcast_redis import RedisDisplay, RedisSource, entries
from redis_fixtures import RedisServer, as_fields, entries_in

pytestmark = pytest.mark.timeout(60)


def published(server: RedisServer, stream: str) -> list[dict[str, Any]]:
    return [entries.decode(fields) for _, fields in entries_in(server.client().xrange(entries.key(stream)))]


def wait_until(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return bool(condition())


class TestRedisDisplayConformance(DisplayConformance):
    @pytest.fixture(autouse=True)
    def _server(self, redis_server: RedisServer, stream_name: str) -> None:
        self.url, self.stream = redis_server.url, stream_name

    def make_display(self) -> RedisDisplay:
        return RedisDisplay(url=self.url, stream=self.stream)


def test_the_display_is_registered_and_takes_cli_options(redis_server: RedisServer, stream_name: str) -> None:
    display = glyphcast.open_display("redis", url=redis_server.url, stream=stream_name, maxlen="100")
    assert isinstance(display, RedisDisplay) and display.maxlen == 100
    display.cleanup()
    assert "redis" in glyphcast.available_sources()


def test_a_bad_url_is_a_one_line_option_error() -> None:
    with pytest.raises(glyphcast.OptionError) as error:
        RedisDisplay(url="http://example.invalid/", stream="x")
    assert "redis://" in str(error.value) and "\n" not in str(error.value)


def test_frames_clear_resize_and_end_are_published_in_order_as_keyframes_and_deltas(
    redis_server: RedisServer, stream_name: str
) -> None:
    display = RedisDisplay(url=redis_server.url, stream=stream_name)
    with Stream([("redis", display)]) as stream:
        stream.init(6, 2)
        stream.show(["ab", "cd"], cursor=(1, 1))
        stream.show(["ab", "CD"])
        stream.clear()
        stream.show(["x", "y"])
        stream.init(8, 3, reuse=True)
        stream.show(["p", "q", "r"])
        stream.end("the demo ended")
    messages = published(redis_server, stream_name)
    assert [(m["type"], m["seq"]) for m in messages] == [
        ("frame", 1),
        ("delta", 2),
        ("clear", 2),
        ("frame", 3),
        ("frame", 4),
        ("end", 4),
    ]
    assert messages[0]["cursor"] == (1, 1) and messages[1]["rows"] == [[1, "CD"]]
    assert (messages[4]["width"], messages[4]["height"]) == (8, 3)
    assert messages[-1]["reason"] == "the demo ended"
    assert len({m["run"] for m in messages}) == 1
    assert display.entries_published == 6 and display.metrics()["redis_up"] == 1


def test_the_stream_is_capped_and_a_keyframe_stays_within_it(
    redis_server: RedisServer, stream_name: str
) -> None:
    display = RedisDisplay(url=redis_server.url, stream=stream_name, maxlen=100, keyframe_interval=3600)
    display.init(10, 2)
    for n in range(1000):
        display.show([f"{n}", "fixed"])
    display.cleanup()
    messages = published(redis_server, stream_name)
    assert len(messages) < 300  # MAXLEN ~ 100 trims whole nodes of 100 entries
    assert any(m["type"] == "frame" for m in messages)
    assert messages[-1]["seq"] == 1000


def relay(source: RedisSource, frames: int | None = None, duration: float | None = None) -> MemoryDisplay:
    memory = MemoryDisplay()
    with Stream([("memory", memory)]) as stream:
        stream.init(source.width, source.height)
        Runner(source, stream, frames=frames, duration=duration).run()
    source.close()
    return memory


def following(source: RedisSource) -> tuple[threading.Thread, list[MemoryDisplay]]:
    """The source relayed into a memory display on a thread, from now on (it waits for entries)."""
    result: list[MemoryDisplay] = []
    reader = threading.Thread(target=lambda: result.append(relay(source)), daemon=True)
    reader.start()
    assert wait_until(lambda: source.seeks >= 1)
    time.sleep(0.05)  # in its first XREAD
    return reader, result


def test_the_source_reproduces_every_frame_exactly_and_ends_with_the_producer_s_reason(
    redis_server: RedisServer, stream_name: str
) -> None:
    source = RedisSource(url=redis_server.url, stream=stream_name, block=0.1, exit_on_end=True)
    reader, result = following(source)
    producer = MemoryDisplay()
    display = RedisDisplay(url=redis_server.url, stream=stream_name)
    with Stream([("redis", display), ("memory", producer)]) as stream:
        stream.init(5, 2)
        stream.show(["one", "two"], cursor=(0, 1))
        stream.show(["one", "TWO"])
        stream.init(7, 3, reuse=True)
        stream.show(["a", "b", "c"], cursor=(6, 2))
        stream.clear()
        stream.show(["a", "B", "c"])
        stream.end("the recording ended")
    reader.join(10)
    assert list(result[0].frames) == list(producer.frames)  # seq, ts, rows, size and cursor, frame for frame
    assert source.end_reason == "the recording ended"
    assert result[0].get_dimensions() == (7, 3)


def test_a_late_source_starts_at_the_newest_keyframe_at_the_stream_s_size(
    redis_server: RedisServer, stream_name: str
) -> None:
    display = RedisDisplay(url=redis_server.url, stream=stream_name, keyframe_interval=3600, maxlen=64)
    display.init(9, 2)
    for n in range(100):  # keyframes every maxlen // 4 = 16 entries
        display.show([f"{n}", "x"])
    display.end("over")
    display.cleanup()
    source = RedisSource(width=80, height=24, url=redis_server.url, stream=stream_name, exit_on_end=True)
    assert (source.width, source.height) == (9, 2)
    newest_keyframe = max(m["seq"] for m in published(redis_server, stream_name) if m["type"] == "frame")
    assert newest_keyframe > 80
    got = list(relay(source).frames)
    assert [f.seq for f in got] == list(range(newest_keyframe, 101)) and got[-1].rows == ("99", "x")


def test_a_live_source_follows_new_frames_as_they_come(redis_server: RedisServer, stream_name: str) -> None:
    display = RedisDisplay(url=redis_server.url, stream=stream_name)
    display.init(4, 1)
    display.show(["0"])
    reader, result = following(
        RedisSource(url=redis_server.url, stream=stream_name, block=0.1, exit_on_end=True)
    )
    for n in range(1, 30):
        time.sleep(0.005)
        display.show([f"{n}"])
    display.end("done")
    display.cleanup()
    reader.join(10)
    assert [f.rows[0] for f in result[0].frames][-1] == "29"
    seqs = [f.seq for f in result[0].frames]
    assert seqs == list(range(seqs[0], 31))


def test_foreign_and_damaged_entries_are_skipped_and_a_torn_delta_makes_it_seek(
    redis_server: RedisServer, stream_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    source = RedisSource(url=redis_server.url, stream=stream_name, block=0.1, exit_on_end=True)
    reader, result = following(source)  # on an empty stream: it reads every entry from the first
    key = entries.key(stream_name)
    pipe = redis_server.client().pipeline(transaction=True)
    pipe.xadd(key, {"hello": "world"})
    pipe.xadd(key, as_fields(entries.encode(entries.keyframe(Frame(("a",), 3, 1, 1, 1.0), "r"))))
    pipe.xadd(
        key,
        as_fields(
            entries.encode(entries.delta(Frame(("c",), 3, 1, 3, 3.0), Frame(("b",), 3, 1, 2, 2.0), "r"))
        ),
    )
    pipe.xadd(key, as_fields(entries.encode(entries.keyframe(Frame(("d",), 3, 1, 4, 4.0), "r"))))
    pipe.xadd(key, as_fields(entries.encode(entries.end(4, "bye", "r"))))
    pipe.execute()
    reader.join(10)
    assert [(f.seq, f.rows) for f in result[0].frames] == [
        (1, ("a",)),
        (4, ("d",)),
    ]  # never frame 3 on a screen of 1
    assert source.bad_entries == 1 and source.end_reason == "bye" and source.seeks == 2
    assert "did not write" in caplog.text


def test_a_source_with_nothing_to_read_still_ends_on_duration(
    redis_server: RedisServer, stream_name: str
) -> None:
    source = RedisSource(url=redis_server.url, stream=stream_name, block=0.1, exit_on_end=True)
    started = time.monotonic()
    assert list(relay(source, duration=0.5).frames) == []
    assert time.monotonic() - started < 2.0


def test_a_reader_that_fell_a_batch_behind_skips_to_the_newest_keyframe_in_order(
    redis_server: RedisServer, stream_name: str
) -> None:
    from glyphcast_redis.source import READ_BATCH

    display = RedisDisplay(
        url=redis_server.url,
        stream=stream_name,
        maxlen=4 * READ_BATCH,
        keyframe_interval=3600,
        queue_frames=4 * READ_BATCH,
    )
    display.init(6, 1)
    display.show(["first"])
    source = RedisSource(url=redis_server.url, stream=stream_name, block=0.1, exit_on_end=True)
    cues = iter(source)
    first = next(c for c in cues if c.rows is not None)
    assert first.seq == 1
    for n in range(2, 2 * READ_BATCH):  # the edge stalls (GC, a full disk, SIGSTOP) while these are written
        display.show([f"{n}"])
    display.end("done")
    display.cleanup()
    frames = [c for c in cues if c.rows is not None]
    seqs = [c.seq for c in frames if c.seq is not None]
    assert len(seqs) == len(frames), "a relayed frame keeps its producer's number"
    assert source.seeks == 2 and "behind" in source.last_seek
    assert seqs == sorted(seqs) and seqs[-1] == 2 * READ_BATCH - 1
    assert (
        seqs[0] > READ_BATCH
    )  # from the newest keyframe on (one every maxlen // 4 entries), not the backlog
    assert source.end_reason == "done"
