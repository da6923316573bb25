"""glyphcast.diff.v1 over real loopback WebSockets: keyframes, exact deltas, resync, stalls."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import glyphcast
import msgpack
import pytest
from diff_client import DIFF, DiffClient, shrink_server_send_buffers
from glyphcast_websocket.display import HubDisplay
from glyphcast_websocket.testing import (
    Screen,
    connect,
    expect_close,
    metric,
    receive_frame,
    receive_until,
    scrape,
    send,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.timeout(60)


def open_stream(width: int = 40, height: int = 6) -> glyphcast.Stream:
    display = glyphcast.open_display("websocket-diff", port=0)
    stream = glyphcast.Stream([("websocket-diff", display)], width=width, height=height)
    stream.init(width, height)
    return stream


def hub_display(stream: glyphcast.Stream) -> HubDisplay:
    display = stream.displays[0].display
    assert isinstance(display, HubDisplay)
    return display


@pytest.fixture
def stream() -> Iterator[glyphcast.Stream]:
    with open_stream() as stream:
        yield stream


def board(seq: int, height: int = 6) -> list[str]:
    """Frame ``seq`` of a board where one or two rows change per frame."""
    rows = [f"row {y} base" for y in range(height)]
    for n in range(1, seq + 1):
        rows[n % height] = f"\x1b[3{n % 8}mrow {n % height} at {n}\x1b[0m"
        if n % 5 == 0:
            rows[(n + 3) % height] = f"row {(n + 3) % height} also at {n}"
    return rows


def test_plugin_registers_the_codec_and_the_websocket_diff_display() -> None:
    registry = glyphcast.get_registry()
    assert registry.codecs[DIFF].deltas is True
    assert registry.displays["websocket-diff"].plugin == "diff"


def test_handshake_gives_hello_then_a_keyframe_then_deltas(stream: glyphcast.Stream) -> None:
    with connect(hub_display(stream), DIFF) as ws:
        assert ws.subprotocol == DIFF
        raw_hello = ws.recv(timeout=5)
        assert isinstance(raw_hello, bytes)
        hello = msgpack.unpackb(raw_hello, raw=False)
        assert hello["type"] == "hello" and hello["codec"] == DIFF
        stream.show(board(1))
        first = receive_frame(ws)
        assert first["type"] == "frame" and first["seq"] == 1
        stream.show(board(2))
        second = receive_frame(ws)
        assert second["type"] == "delta"
        assert (second["seq"], second["base"]) == (2, 1)
        assert second["rows"] == [[2, board(2)[2]]]


def test_a_diff_client_rebuilds_every_frame_exactly(stream: glyphcast.Stream) -> None:
    screen = Screen()
    with connect(hub_display(stream), DIFF) as ws:
        receive_until(ws, "hello")
        for seq in range(1, 61):
            stream.show(board(seq))
            message = receive_frame(ws, seq=seq)
            assert message["seq"] == seq
            assert screen.apply(message), f"delta {seq} did not fit the screen at {screen.seq}"
            assert screen.lines == board(seq)
            assert message["type"] == ("frame" if seq == 1 else "delta")


def test_resync_is_answered_at_once_with_a_keyframe_of_the_current_frame(stream: glyphcast.Stream) -> None:
    with connect(hub_display(stream), DIFF) as ws:
        receive_until(ws, "hello")
        stream.show(board(1))
        receive_frame(ws, seq=1)
        stream.show(board(2))
        assert receive_frame(ws, seq=2)["type"] == "delta"
        send(ws, {"type": "resync"})  # no new frame is shown: the stream is idle
        keyframe = receive_frame(ws)
        assert keyframe["type"] == "frame"
        assert keyframe["seq"] == 2
        assert keyframe["lines"] == board(2)
        stream.show(board(3))
        after = receive_frame(ws, seq=3)
        assert (after["type"], after["base"]) == ("delta", 2)


def test_metrics_count_the_resync_and_deltas_vs_keyframes(stream: glyphcast.Stream) -> None:
    display = hub_display(stream)
    with connect(display, DIFF) as ws:
        receive_until(ws, "hello")
        stream.show(board(1))
        receive_frame(ws, seq=1)
        stream.show(board(2))
        assert receive_frame(ws, seq=2)["type"] == "delta"
        send(ws, {"type": "resync"})
        assert receive_frame(ws)["type"] == "frame"
        stream.show(board(3))
        assert receive_frame(ws, seq=3)["type"] == "delta"
        samples = scrape(display)
    assert metric(samples, "glyphcast_resyncs_total", codec=DIFF) == 1
    assert (
        metric(samples, "glyphcast_frames_sent_total", codec=DIFF, kind="full") == 2
    )  # the first, the resync's
    assert metric(samples, "glyphcast_frames_sent_total", codec=DIFF, kind="delta") == 2


def test_a_delta_never_crosses_a_resize(stream: glyphcast.Stream) -> None:
    with connect(hub_display(stream), DIFF) as ws:
        receive_until(ws, "hello")
        stream.show(board(1))
        receive_frame(ws, seq=1)
        stream.init(30, 4, reuse=True)
        stream.show(["small", "screen"])
        message = receive_frame(ws, seq=2)
        assert message["type"] == "frame"
        assert (message["width"], message["height"]) == (30, 4)
        assert message["lines"] == ["small", "screen", "", ""]


def test_a_stalled_client_skips_to_the_newest_frame_and_the_server_holds_little_for_it() -> None:
    with open_stream(width=200, height=30) as stream:
        display = hub_display(stream)
        tall = [f"{y:02d} " + "x" * 190 for y in range(30)]
        client = DiffClient("127.0.0.1", display.port)
        shrink_server_send_buffers(display)
        try:
            stream.show(tall)
            client.read_until(lambda: client.screen.seq == 1)
            for seq in range(2, 201):  # ~8 KB keyframes (every row changes) while the client does not read
                stream.show([f"{seq:04d}" + row for row in tall])
            time.sleep(0.2)  # let the hub write what the socket takes
            assert display.hub is not None
            buffered = display.hub.sessions[0].connection.transport.get_write_buffer_size()
            # At most the write limit plus the one frame that crossed it: not 199 queued frames.
            assert buffered <= display.settings.write_limit + 16 * 1024, (
                f"{buffered} bytes held for one client"
            )
            client.read_until(lambda: client.screen.seq == 200)
            assert client.screen.lines == [f"{200:04d}" + row for row in tall]
            assert client.misfits == 0
            received = [m["seq"] for m in client.messages if m["type"] in ("frame", "delta")]
            assert len(received) < 100, (
                f"a stalled client should skip frames, not queue them: got {len(received)}"
            )
            assert received == sorted(received)
        finally:
            client.close()


# -- the property: stalls never show garbage, idling shows the last frame --------------
HEIGHT = 24
WIDTH = 2000


def frame_rows(seq: int, changes: list[int], previous: list[str]) -> list[str]:
    rows = list(previous)
    for index in changes:
        rows[index % HEIGHT] = f"\x1b[3{seq % 8}m{seq:05d}:{index % HEIGHT:02d} " + chr(65 + seq % 26) * (
            WIDTH - 12
        )
    return rows


steps = st.lists(
    st.tuples(
        st.lists(st.integers(0, HEIGHT - 1), min_size=1, max_size=HEIGHT),  # rows that change
        st.sampled_from([0.0, 0.0, 0.002, 0.01]),  # pause before the next frame
    ),
    min_size=10,
    max_size=60,
)
# (frame index at which the client stops reading, for how long): the producer goes on meanwhile.
stalls = st.lists(st.tuples(st.integers(0, 59), st.floats(0.0, 0.25)), max_size=4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps, stalls=stalls)
def test_stalls_never_show_a_frame_that_was_not_shown_and_idle_converges_to_the_last(steps, stalls) -> None:
    with open_stream(width=WIDTH, height=HEIGHT) as stream:
        client = DiffClient("127.0.0.1", hub_display(stream).port)
        shrink_server_send_buffers(hub_display(stream))
        shown: dict[int, list[str]] = {}
        violations: list[str] = []
        done = threading.Event()
        stalled_until = [0.0]
        stall_at = dict(stalls)

        def read() -> None:
            # The client: reads, checks its screen after every message, stops reading while stalled.
            checked = 0
            while not done.is_set():
                pause = stalled_until[0] - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                client.pump(0.02)
                for _ in client.messages[checked:]:
                    seq = client.screen.seq
                    if seq is not None and (seq not in shown or client.screen.lines != shown[seq]):
                        violations.append(f"screen at seq {seq} is not the frame shown as {seq}")
                checked = len(client.messages)

        reader = threading.Thread(target=read, daemon=True)
        rows = [""] * HEIGHT
        try:
            for seq, (changes, pause) in enumerate(steps, start=1):
                rows = frame_rows(seq, changes, rows)
                shown[seq] = list(rows)  # recorded before show(): the reader may see it at once
                if seq in stall_at:
                    stalled_until[0] = time.monotonic() + stall_at[seq]
                stream.show(rows)
                if seq == 1:
                    reader.start()
                if pause:
                    time.sleep(pause)
            last = len(steps)
            deadline = time.monotonic() + 5
            while client.screen.seq != last and time.monotonic() < deadline:
                time.sleep(0.01)
            done.set()
            reader.join(5)
            assert not violations, violations[:3]
            assert client.misfits == 0, "the hub sent a delta on a base the client did not have"
            assert client.screen.seq == last, f"idle stream: client at {client.screen.seq}, last frame {last}"
            assert client.screen.lines == shown[last]
        finally:
            done.set()
            client.close()


def test_end_reaches_a_diff_client_after_a_delta(stream: glyphcast.Stream) -> None:
    """The final delta, then `end`, then close 1000: a diff client sees the last screen before the end."""
    stream.show(["a", "b"])
    with connect(hub_display(stream), DIFF) as ws:
        receive_frame(ws)
        stream.show(["a", "c"])
        stream.end("done")
        assert receive_frame(ws)["type"] == "delta"
        assert receive_until(ws, lambda m: m["type"] == "end")["reason"] == "done"
        assert expect_close(ws)[0] == 1000
