"""Sharing a terminal program: keystroke-to-viewer latency with many viewers, and what an idle program costs.

``python -m benchmarks --share [--viewers 100] [--keys 200] [--fps 30] [--idle 10]`` (``make bench-share``)

Latency: ``glyphcast share --display websocket -- cat`` runs on a real pty (the
sharer's terminal, which this process reads and types into). Viewers, in a
process of their own, connect to the hub over real loopback WebSockets. Each
keystroke is written to the sharer's terminal at a random gap (10-200 ms:
fast typing and pauses, so keys land at every phase of the frame interval);
the pty echoes it and the cursor moves one cell. A viewer's latency for a key
is when its first frame/delta with that cursor position (or a later one: keys
typed within one frame interval may share a frame) arrived, minus when the key
was written (``time.monotonic``, one clock for both processes).

Idle: ``glyphcast share -- sleep`` with the same viewers connected; the
glyphcast process's CPU time (user + system, every thread, from /proc) over
``--idle`` seconds, and the frames viewers received meanwhile.

Targets (issue 11): p99 latency <= one frame interval + 10 ms; idle CPU near zero.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import re
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from glyphcast_pty.process import PtyProcess

WIDTH, HEIGHT = 80, 24
KEYS_PER_LINE = 60  # then Enter (not measured): cat prints the line, the cursor goes two rows down
SUBPROTOCOL = "glyphcast.json.v1"


def expected_cursors(keys: int) -> list[tuple[int, int]]:
    """Where the cursor is after each measured key (cat in a fresh 80x24 pty, Enter every KEYS_PER_LINE)."""
    cursors = []
    for index in range(keys):
        line, column = divmod(index, KEYS_PER_LINE)
        cursors.append((column + 1, min(2 * line, HEIGHT - 1)))
    return cursors


# -- the sharer's terminal -----------------------------------------------------------------
class SharerTerminal:
    """``glyphcast share ...`` on a pty of its own; everything it writes is read (and kept) on a thread."""

    def __init__(self, args: Sequence[str]) -> None:
        self.process = PtyProcess([sys.executable, "-m", "glyphcast", *args], WIDTH, HEIGHT)
        os.set_blocking(self.process.master, True)
        self.output = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.process.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.output += data

    def wait_for(self, pattern: bytes, timeout: float = 30.0) -> re.Match[bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = re.search(pattern, self.output)
            if found:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(
            f"glyphcast share never printed {pattern!r}; it wrote: {bytes(self.output)[-600:]!r}"
        )

    def type(self, data: bytes) -> None:
        os.write(self.process.master, data)

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.process.close()


def start_share(command: Sequence[str], viewers: int, fps: float) -> tuple[SharerTerminal, int]:
    sharer = SharerTerminal(
        [
            "share",
            "--fps",
            str(fps),
            "--display",
            f"websocket:port=0,max_clients={viewers + 16}",
            "--",
            *command,
        ]
    )
    port = int(sharer.wait_for(rb"serving http://127\.0\.0\.1:(\d+)/").group(1))
    return sharer, port


# -- the viewers (their own process) -------------------------------------------------------
@dataclass
class ViewerReport:
    arrivals: list[list[float]] = field(default_factory=list)  # per viewer: arrival per key (nan: never)
    frames: list[int] = field(default_factory=list)  # per viewer: frame/delta messages received
    errors: list[str] = field(default_factory=list)


async def _viewer(
    port: int,
    cursors: list[tuple[int, int]],
    arrivals: list[float],
    counts: list[int],
    index: int,
    opening: asyncio.Semaphore,
    ready: asyncio.Event,
    connected: list[int],
    total: int,
    stop: asyncio.Event,
) -> None:
    from websockets.asyncio.client import connect

    async with opening:  # the hub caps handshakes in flight (it drops the oldest past the cap)
        ws = await connect(
            f"ws://127.0.0.1:{port}/ws",
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            compression=None,
            max_size=None,
            ping_interval=None,
        )
        hello = json.loads(await ws.recv())
    async with ws:
        assert hello["type"] == "hello", hello
        connected[0] += 1
        if connected[0] == total:
            ready.set()
        following = 0
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            now = time.monotonic()
            message = json.loads(raw)
            if message["type"] not in ("frame", "delta"):
                continue
            counts[index] += 1
            cursor = tuple(message.get("cursor") or ())
            # Keys typed closer than a frame interval may share a frame: each arrives with it.
            for key in range(following, min(len(cursors), following + KEYS_PER_LINE)):
                if cursors[key] == cursor:
                    arrivals[following : key + 1] = [now] * (key + 1 - following)
                    following = key + 1
                    break


async def _viewers(port: int, count: int, keys: int, conn: Connection) -> None:
    cursors = expected_cursors(keys)
    arrivals = [[float("nan")] * keys for _ in range(count)]
    counts = [0] * count
    ready, stop = asyncio.Event(), asyncio.Event()
    opening = asyncio.Semaphore(16)
    connected = [0]
    tasks = [
        asyncio.create_task(
            _viewer(port, cursors, arrivals[i], counts, i, opening, ready, connected, count, stop)
        )
        for i in range(count)
    ]
    if count:
        waiting = asyncio.create_task(ready.wait())
        await asyncio.wait([waiting, *tasks], timeout=60, return_when=asyncio.FIRST_COMPLETED)
        failed = [task.exception() for task in tasks if task.done() and task.exception()]
        if not ready.is_set():
            conn.send(f"only {connected[0]} of {count} viewers connected: {failed[:3]!r}")
            return
    conn.send("connected")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, conn.recv)  # "stop"
    stop.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    conn.send(ViewerReport(arrivals, counts, [repr(r) for r in results if isinstance(r, BaseException)]))


def viewer_process(port: int, count: int, keys: int, conn: Connection) -> None:
    asyncio.run(_viewers(port, count, keys, conn))


class Viewers:
    """``count`` viewers in another process, connected before this returns."""

    def __init__(self, port: int, count: int, keys: int) -> None:
        self.conn, child = mp.Pipe()
        self.process = mp.get_context("spawn").Process(
            target=viewer_process, args=(port, count, keys, child), daemon=True
        )
        self.process.start()
        answer = self.conn.recv() if self.conn.poll(90) else "no answer within 90 s"
        if answer != "connected":
            raise RuntimeError(f"the viewers did not connect: {answer}")

    def report(self) -> ViewerReport:
        self.conn.send("stop")
        if not self.conn.poll(30):
            raise RuntimeError("the viewers did not report within 30 s")
        report: ViewerReport = self.conn.recv()
        self.process.join(10)
        return report


# -- the measurements ----------------------------------------------------------------------
def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure_latency(viewers: int, keys: int, fps: float, seed: int) -> dict[str, Any]:
    sharer, port = start_share(["cat"], viewers, fps)
    try:
        watching = Viewers(port, viewers, keys)
        rng = random.Random(seed)
        written: list[float] = []
        for index in range(keys):
            if index and index % KEYS_PER_LINE == 0:
                # Enter (not a measured key): cat prints the line. Apart from the keys around it, so
                # their echoes are frames of their own, not one frame with Enter's.
                time.sleep(0.3)
                sharer.type(b"\r")
                time.sleep(0.3)
            time.sleep(rng.uniform(0.01, 0.2))
            written.append(time.monotonic())
            sharer.type(b"abcdefghijklmnopqrstuvwxyz"[index % 26 : index % 26 + 1])
        time.sleep(0.5)
        report = watching.report()
    finally:
        sharer.close()
    latencies = [
        (arrival - written[k]) * 1000
        for row in report.arrivals
        for k, arrival in enumerate(row)
        if arrival == arrival
    ]
    missing = sum(1 for row in report.arrivals for arrival in row if arrival != arrival)
    # The first viewer to see each key: what the program, the pty source and the hub took, before fan-out.
    firsts = [
        (min(seen) - written[k]) * 1000
        for k, column in enumerate(zip(*report.arrivals, strict=True))
        if (seen := [arrival for arrival in column if arrival == arrival])
    ]
    return {
        "viewers": viewers,
        "keys": keys,
        "fps": fps,
        "interval_ms": 1000 / fps,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies),
        "first_p50_ms": percentile(firsts, 0.5),
        "first_p99_ms": percentile(firsts, 0.99),
        "mean_ms": statistics.fmean(latencies),
        "missing": missing,
        "errors": report.errors,
        "frames_per_viewer": statistics.fmean(report.frames),
    }


def measure_source(keys: int, fps: float, seed: int) -> dict[str, Any]:
    """The pty source alone, in this process (no hub, no viewers): keystroke written -> cue with its echo."""
    from glyphcast_pty import PtySource

    source = PtySource(WIDTH, HEIGHT, ["cat"], fps=fps)
    cursors = expected_cursors(keys)
    shown: list[tuple[float, Any]] = []
    changed = threading.Condition()

    def iterate() -> None:
        for cue in source:
            with changed:
                shown.append((time.monotonic(), cue.cursor))
                changed.notify_all()

    threading.Thread(target=iterate, daemon=True).start()
    rng = random.Random(seed)
    latencies = []
    try:
        for index in range(keys):
            if index and index % KEYS_PER_LINE == 0:
                time.sleep(0.3)
                source.write("\r")
                time.sleep(0.3)
            time.sleep(rng.uniform(0.01, 0.2))
            written = time.monotonic()
            source.write("abcdefghijklmnopqrstuvwxyz"[index % 26])
            with changed:
                if not changed.wait_for(
                    lambda index=index: bool(shown) and shown[-1][1] == cursors[index], 5
                ):
                    raise RuntimeError(f"key {index} never showed")
                latencies.append((shown[-1][0] - written) * 1000)
    finally:
        source.close()
    return {
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies),
    }


def measure_idle(viewers: int, seconds: float) -> dict[str, Any]:
    sharer, port = start_share(["sleep", str(seconds + 30)], viewers, 30)
    try:
        watching = Viewers(port, viewers, 0)
        time.sleep(1.0)  # let start-up (imports, the hub's first accepts) settle
        before, started = sharer.cpu_seconds(), time.monotonic()
        time.sleep(seconds)
        cpu, elapsed = sharer.cpu_seconds() - before, time.monotonic() - started
        report = watching.report()
    finally:
        sharer.close()
    return {
        "viewers": viewers,
        "seconds": elapsed,
        "cpu_s": cpu,
        "cpu_percent": 100 * cpu / elapsed,
        "frames": sum(report.frames),
        "errors": report.errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks --share", description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=100)
    parser.add_argument("--keys", type=int, default=200, help="keystrokes measured")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle program measured")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    alone = measure_source(args.keys, args.fps, args.seed)
    latency = measure_latency(args.viewers, args.keys, args.fps, args.seed)
    idle = measure_idle(args.viewers, args.idle)
    target = latency["interval_ms"] + 10
    print(f"## glyphcast share: {args.viewers} viewers, cat echoing, {args.fps:g} fps\n")
    print("| measure | value | target | |")
    print("|---|---|---|---|")
    print(f"| keystroke → viewer p50 | {latency['p50_ms']:.1f} ms | | |")
    print(
        f"| keystroke → viewer p99 | {latency['p99_ms']:.1f} ms | ≤ {target:.1f} ms "
        f"(one frame interval + 10 ms) | {'pass' if latency['p99_ms'] <= target else '**miss**'} |"
    )
    print(f"| keystroke → viewer max | {latency['max_ms']:.1f} ms | | |")
    print(
        f"| keystroke → first viewer p50 / p99 | {latency['first_p50_ms']:.1f} / {latency['first_p99_ms']:.1f} ms "
        "| | |"
    )
    print(
        f"| keystroke → cue, the pty source alone: p50 / p99 / max | {alone['p50_ms']:.1f} / "
        f"{alone['p99_ms']:.1f} / {alone['max_ms']:.1f} ms | ≤ {latency['interval_ms']:.1f} ms (one interval) | "
        f"{'pass' if alone['max_ms'] <= latency['interval_ms'] + 2 else '**miss**'} |"
    )
    print(
        f"| keys measured × viewers | {args.keys} × {args.viewers}, {latency['missing']} never seen | 0 missing | "
        f"{'pass' if latency['missing'] == 0 else '**miss**'} |"
    )
    print(
        f"| frames per viewer | {latency['frames_per_viewer']:.0f} for {args.keys + args.keys // KEYS_PER_LINE} "
        "keystrokes | | |"
    )
    print(
        f"| idle program, {idle['seconds']:.0f} s: glyphcast CPU | {idle['cpu_s']:.3f} s "
        f"({idle['cpu_percent']:.2f}% of a core) | near zero (< 0.5%) | "
        f"{'pass' if idle['cpu_percent'] < 0.5 else '**miss**'} |"
    )
    print(
        f"| idle program: frames sent | {idle['frames']} | 0 | {'pass' if idle['frames'] == 0 else '**miss**'} |"
    )
    errors = latency["errors"] + idle["errors"]
    if errors:
        print(f"\nviewer errors: {errors[:5]}")
    print(
        f"\nMachine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}. Load average before/after: "
        f"{load_before:.1f}/{os.getloadavg()[0]:.1f} (other work on the machine shows up as latency outliers)."
    )
    return 0 if not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
