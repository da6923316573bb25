"""A client that stops reading costs O(1) memory and delays no one: not the engine, not other clients."""

from __future__ import annotations

import socket
import statistics
import struct
import time
from typing import Any

import pytest
from glyphcast_websocket.testing import connect, receive, receive_frame, stalled_client, wait_for

JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(60)
WIDTH, HEIGHT, FRAMES = 200, 50, 600


def rows(n: int) -> list[str]:
    return [f"{n:06d} {y:03d} ".ljust(WIDTH, chr(0x41 + (n + y) % 26)) for y in range(HEIGHT)]


def timed_shows(display: Any, start: int, count: int, pace: float = 0.001) -> list[float]:
    """Show ``count`` frames ``pace`` s apart (an engine's frame rate, so the hub writes many of
    them: frames shown in one burst coalesce into the newest) and time each show()."""
    times = []
    for n in range(start, start + count):
        frame = rows(n)
        t0 = time.perf_counter()
        display.show(frame)
        times.append(time.perf_counter() - t0)
        time.sleep(pace)
    return times


def test_a_stalled_client_does_not_delay_the_engine_or_a_reading_client(open_hub: Any) -> None:
    display = open_hub(width=WIDTH, height=HEIGHT)
    hub = display.room
    baseline = timed_shows(display, 1, 200)  # nobody connected
    with stalled_client(display, JSON) as stalled, connect(display, JSON, max_queue=4096) as reader:
        assert receive(reader)["type"] == "hello"
        assert wait_for(lambda: len(hub.sessions) == 2)
        stalled_port = stalled.getsockname()[1]
        slow = next(s for s in hub.sessions if s.info.remote.endswith(f":{stalled_port}"))
        fast = next(s for s in hub.sessions if s is not slow)
        # Keep the kernel's autotuned send buffer (megabytes on loopback) small, so what
        # piles up is visible in the hub's own transport buffer, the part this test bounds.
        slow.connection.transport.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_SNDBUF, 16384
        )

        loaded = timed_shows(display, 1000, FRAMES)
        last = 1000 + FRAMES - 1
        frame = receive_frame(reader, seq=display.frames_shown, timeout=10)
        assert frame["lines"] == rows(last)  # the reader is current right away

        # the engine: show() stays a hand-over, stalled client or not (wide margin)
        assert statistics.median(loaded) < 20 * statistics.median(baseline) + 0.0005

        # the stalled session: its socket buffer stays under the write limit plus one frame,
        # it holds no queue of frames, and it skipped almost everything
        frame_bytes = len(hub.cache.frame(slow.codec, hub.latest).framed)
        assert wait_for(lambda: slow.drainer is not None)  # waiting for a drain, not buffering
        buffered = slow.connection.transport.get_write_buffer_size()
        assert buffered <= hub.settings.write_limit + frame_bytes
        assert len(slow.outbox.replies) == 0
        assert slow.outbox.stats.frames < FRAMES // 4  # the rest were skipped, never queued
        assert slow.bytes_sent < fast.bytes_sent / 2
        print(
            f"\nframe {frame_bytes} B; stalled: sent {slow.bytes_sent} B, {slow.outbox.stats.frames} frames, "
            f"buffered {buffered} B; reader: sent {fast.bytes_sent} B, {fast.outbox.stats.frames} frames; "
            f"show() median {statistics.median(loaded) * 1e6:.1f} us (no clients "
            f"{statistics.median(baseline) * 1e6:.1f} us)"
        )


def test_a_stalled_client_that_resumes_gets_the_newest_frame(open_hub: Any) -> None:
    display = open_hub(width=WIDTH, height=HEIGHT)
    hub = display.room
    with stalled_client(display, JSON) as stalled:
        assert wait_for(lambda: len(hub.sessions) == 1)
        slow = hub.sessions[0]
        timed_shows(display, 1, 300)
        assert wait_for(lambda: slow.drainer is not None)
        # now read everything: the last frame that arrives is the newest one
        stalled.settimeout(0.5)
        data = b""
        want = f"{300:06d} 000".encode()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and want not in data:
            try:
                chunk = stalled.recv(1 << 20)
            except TimeoutError:
                continue
            if not chunk:
                break
            data += chunk
        assert want in data
        assert slow.outbox.shown is not None and slow.outbox.shown.seq == hub.latest.seq


def test_a_mass_disconnect_while_streaming_logs_nothing_per_connection(
    open_hub: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """200 clients reset their connections mid-stream: no 'socket.send() raised' per write, no tracebacks."""
    display = open_hub(width=WIDTH, height=HEIGHT)
    hub = display.room
    clients = []
    for _ in range(200):
        cm = stalled_client(display, JSON, receive_buffer=1 << 16)
        clients.append((cm, cm.__enter__()))
    assert wait_for(lambda: len(hub.sessions) == 200, timeout=20)
    timed_shows(display, 1, 30)
    for _, sock in clients:  # RST, not FIN: the server learns of it on its next write
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    timed_shows(display, 31, 120)
    assert wait_for(lambda: len(hub.sessions) == 0, timeout=10)
    for cm, _ in clients:
        cm.__exit__(None, None, None)
    noisy = [r for r in caplog.records if "socket.send() raised" in r.getMessage() or r.exc_info]
    assert not noisy, [r.getMessage() for r in noisy[:5]]
