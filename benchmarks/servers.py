"""The contenders, each run in its own process so its CPU time and RSS are its own.

Every contender paces the same frames at the same fps and times what the
producer pays per frame ("show cost"):

- ``baseline``: the server a user would write first. An asyncio server keeps a
  set of connections, and each frame is ``json.dumps`` of the full frame and
  ``websockets.broadcast()`` to all of them (no coalescing, no deltas); the
  producer pays for both.
- ``ideal``: the same loop broadcasting one diff-codec delta per frame (encoded
  once, the same bytes to everyone): the floor of this stack for moving the
  bytes glyphcast's diff codec sends.
- ``json`` / ``binary`` / ``diff``: glyphcast, the engine's side of the real
  path: ``Stream.show(rows)`` on a stream holding the ``websocket-<codec>`` display.
- ``json-deflate`` / ``diff-deflate``: the same server; its clients negotiate
  permessage-deflate (the hub compresses each message once for all of them).
- ``alis`` / ``asciicast-v2`` / ``asciicast-v3``: the same path with
  glyphcast-asciinema's ``websocket-<format>`` display; the server reports its
  codecs' time 0 so the clients can turn event times back into frame times.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

import psutil

from benchmarks.workloads import make_frames

HOST = "127.0.0.1"


def _rss() -> int:
    return psutil.Process().memory_info().rss


def _cpu() -> float:
    # getrusage has microsecond resolution (psutil's cpu_times counts 10 ms ticks)
    # and covers every thread: the hub's loop as well as the producer.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Pacer:
    """Runs ``step`` at ``fps`` and records what each call costs (perf_counter ns)."""

    def __init__(self, fps: float) -> None:
        self.interval = 1.0 / fps
        self.costs_ns: list[int] = []
        self.rss_samples: list[int] = []


def _summary(
    pacer: Pacer,
    cpu: float,
    frames: int,
    last_seq: int,
    stop_ms: float,
    rss0: int,
    last_ts: float = float("nan"),
) -> dict[str, Any]:
    return {
        "last_ts": last_ts,
        "show_ns": pacer.costs_ns,
        "cpu_s": cpu,
        "frames": frames,
        "last_seq": last_seq,
        "stop_ms": stop_ms,
        "rss_start": rss0,
        "rss_peak": max([rss0, *pacer.rss_samples]),
        "rss_end": _rss(),
    }


# -- baseline and ideal: websockets.broadcast from the event loop -------------------
def _serve_broadcast(
    conn: Connection, kind: str, workload: str, count: int, fps: float, port: int, grace: float
) -> None:
    from websockets.asyncio.server import broadcast, serve

    rows_list, width, height, _ = make_frames(workload, count)
    clients: set[Any] = set()

    async def handler(websocket: Any) -> None:
        clients.add(websocket)
        try:
            await websocket.wait_closed()
        finally:
            clients.discard(websocket)

    async def main() -> None:
        from glyphcast import Frame
        from glyphcast.frame import now_ms
        from glyphcast_diff import DiffCodec

        codec = DiffCodec()
        loop = asyncio.get_running_loop()
        async with serve(handler, HOST, port, max_size=2**16, compression=None):
            conn.send(("ready", os.getpid()))
            await loop.run_in_executor(None, conn.recv)  # "go"
            pacer = Pacer(fps)
            rss0, cpu0 = _rss(), _cpu()
            previous: Frame | None = None
            start = time.perf_counter()
            for index, rows in enumerate(rows_list):
                due = start + index * pacer.interval
                delay = due - time.perf_counter()
                await asyncio.sleep(max(0.0, delay))
                seq = index + 1
                t0 = time.perf_counter_ns()
                if kind == "baseline":
                    message: str | bytes = json.dumps(
                        {
                            "type": "frame",
                            "seq": seq,
                            "ts": now_ms(),
                            "width": width,
                            "height": height,
                            "lines": rows,
                        }
                    )
                else:
                    frame = Frame(tuple(rows), width, height, seq, now_ms())
                    message = (
                        codec.encode_frame(frame) if previous is None else codec.encode_delta(frame, previous)
                    )
                    previous = frame
                broadcast(clients, message)
                pacer.costs_ns.append(time.perf_counter_ns() - t0)
                if index % 5 == 0:
                    pacer.rss_samples.append(_rss())
            stop_ms = time.time() * 1000.0
            await asyncio.sleep(grace)
            pacer.rss_samples.append(_rss())
            conn.send(("done", _summary(pacer, _cpu() - cpu0, len(rows_list), len(rows_list), stop_ms, rss0)))
            await loop.run_in_executor(None, conn.recv)  # "exit"

    asyncio.run(main())


# -- glyphcast: Stream -> websocket-<codec> -----------------------------------------
def open_glyphcast(codec: str, port: int, max_clients: int) -> Any:
    """A stream holding the real ``websocket-<codec>`` display, listening on ``port``."""
    import glyphcast

    display = glyphcast.open_display(f"websocket-{codec}", host=HOST, port=port, max_clients=max_clients)
    return glyphcast.Stream([(f"websocket-{codec}", display)])


def _serve_glyphcast(
    conn: Connection,
    codec: str,
    workload: str,
    count: int,
    fps: float,
    port: int,
    grace: float,
    max_clients: int,
) -> None:
    import glyphcast

    rows_list, width, height, _ = make_frames(workload, count)
    stream = open_glyphcast(codec, port, max_clients)
    stream.init(width, height)
    # asciinema's formats time events from their codecs' time 0 (one Timeline for the three).
    origin = next(
        (c.timeline.origin_ms for c in glyphcast.get_registry().codecs.values() if hasattr(c, "timeline")),
        None,
    )
    try:
        conn.send(("ready", os.getpid(), origin))
        conn.recv()  # "go"
        pacer = Pacer(fps)
        rss0, cpu0 = _rss(), _cpu()
        show = stream.show
        start = time.perf_counter()
        for index, rows in enumerate(rows_list):
            delay = start + index * pacer.interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            t0 = time.perf_counter_ns()
            show(rows)
            pacer.costs_ns.append(time.perf_counter_ns() - t0)
            if index % 5 == 0:
                pacer.rss_samples.append(_rss())
        stop_ms = time.time() * 1000.0
        time.sleep(grace)
        pacer.rss_samples.append(_rss())
        failed = [a.state for a in stream.displays if not a.active]
        last_ts = stream.current.ts if stream.current is not None else float("nan")
        summary = _summary(pacer, _cpu() - cpu0, len(rows_list), len(rows_list), stop_ms, rss0, last_ts)
        summary["display_errors"] = failed
        conn.send(("done", summary))
        conn.recv()  # "exit"
    finally:
        stream.cleanup()


def serve(
    conn: Connection,
    kind: str,
    workload: str,
    count: int,
    fps: float,
    port: int,
    grace: float,
    max_clients: int,
) -> None:
    """Process entry point: serve ``kind`` on ``port``, then on "go" pace ``count`` frames at ``fps``."""
    logging.basicConfig(level=logging.WARNING)
    if os.environ.get("GLYPHCAST_BENCH_UVLOOP") == "0":
        sys.modules["uvloop"] = None  # type: ignore[assignment]  # the hub falls back to asyncio's loop
    threading.current_thread().name = f"bench-{kind}"
    try:
        if kind in ("baseline", "ideal"):
            _serve_broadcast(conn, kind, workload, count, fps, port, grace)
        else:
            _serve_glyphcast(
                conn, kind.removesuffix("-deflate"), workload, count, fps, port, grace, max_clients
            )
    except Exception as error:
        conn.send(("error", f"{type(error).__name__}: {error}"))
