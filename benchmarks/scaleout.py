"""Scale-out benchmark: ``python -m benchmarks.scaleout [--clients 1000,1500,...] [--seconds 6]``.

One run, one machine, the same 200x60 demo frames at 30 fps:

1. **The Redis hop's added latency.** One producer process shows the frames on
   a ``websocket-diff`` display (viewers connect to it directly) *and* a
   ``redis`` display; one edge process (``glyphcast run --source redis
   --display websocket``) serves the same frames from Redis. The same number of
   load-generator clients watch each; a frame keeps its producer's ``ts`` through
   Redis, so arrival minus ``ts`` compares the two paths directly.
2. **Viewers served by 1 edge vs 2 edges** sharing one port (SO_REUSEPORT):
   at each client count, p99 latency and frames per client; a count is
   *served* when p99 ≤ 100 ms and every client gets ≥ 90% of the frames. The
   load generator's own CPU is reported: it shares the machine.
3. **Redis bandwidth per frame**: the entries' bytes (``redis`` display's
   count) and Redis's own network counters (``INFO stats``) per frame.

Needs ``redis-server`` on the PATH (``apt-get install redis-server``) and the
packages of ``benchmarks/requirements.txt`` plus glyphcast-redis.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from array import array
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from benchmarks.loadgen import run_clients
from benchmarks.run import CLIENTS_PER_PROCESS, RESULTS, free_port, percentile
from benchmarks.servers import HOST, Pacer
from benchmarks.workloads import make_frames

DIFF = "glyphcast.diff.v1"
WORKLOAD = "demo 200x60"
FPS = 30.0


# -- the pieces, each its own process ----------------------------------------------------
def start_redis(directory: str) -> tuple[subprocess.Popen[bytes], int]:
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("redis-server is not installed: apt-get install redis-server")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", directory],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    deadline = time.monotonic() + 10
    while True:
        try:
            if redis.Redis(host=HOST, port=port).ping():
                return process, port
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def redis_net(port: int) -> tuple[int, int]:
    import redis

    info = redis.Redis(host=HOST, port=port).info("stats")
    return int(info["total_net_input_bytes"]), int(info["total_net_output_bytes"])


def produce(conn: Any, url: str, stream: str, direct_port: int | None, seconds: float) -> None:
    """Process entry: pace the demo frames into ``redis`` (and ``websocket-diff`` on ``direct_port``) until "stop"."""
    import glyphcast

    rows_list, width, height, _ = make_frames(WORKLOAD, int(seconds * FPS))
    displays: list[tuple[str, Any]] = [("redis", glyphcast.open_display("redis", url=url, stream=stream))]
    if direct_port is not None:
        displays.append(
            (
                "websocket-diff",
                glyphcast.open_display(
                    "websocket-diff", host=HOST, port=direct_port, max_clients=5000, control=False
                ),
            )
        )
    stream_ = glyphcast.Stream(displays)
    stream_.init(width, height)
    pacer = Pacer(FPS)
    conn.send(("ready", os.getpid()))
    start = time.perf_counter()
    index = 0
    try:
        while not conn.poll():
            delay = start + index * pacer.interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            t0 = time.perf_counter_ns()
            stream_.show(rows_list[index % len(rows_list)])
            pacer.costs_ns.append(time.perf_counter_ns() - t0)
            index += 1
        conn.recv()
        metrics = displays[0][1].metrics()
        conn.send(("done", {"frames": index, "show_ns": pacer.costs_ns[-int(10 * FPS) :], "redis": metrics}))
    finally:
        stream_.cleanup()


def start_edge(url: str, stream: str, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "glyphcast",
            "run",
            "--source",
            f"redis:url={url},stream={stream}",
            "--display",
            f"websocket:host={HOST},port={port},reuse_port=true,control=false,max_clients=5000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def _accepts(port: int) -> bool:
    import socket

    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def _cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


@dataclass
class Watch:
    """What one group of load-generator clients measured."""

    clients: int = 0
    connected: int = 0
    frames: int = 0
    latency_p50_ms: float = math.nan
    latency_p99_ms: float = math.nan
    fps_per_client: float = math.nan
    min_fps_share: float = math.nan
    loadgen_cpu_cores: float = math.nan
    errors: list[str] = field(default_factory=list)


def watch(groups: list[tuple[int, int]], seconds: float) -> list[Watch]:
    """Connect ``count`` clients to each ``port`` of ``groups``, record for ``seconds``, return each group's numbers."""
    ctx = mp.get_context("fork")
    loaders: list[tuple[int, Any, Any]] = []
    for group, (port, count) in enumerate(groups):
        processes = math.ceil(count / CLIENTS_PER_PROCESS)
        for index in range(processes):
            share = count // processes + (1 if index < count % processes else 0)
            parent, child = ctx.Pipe()
            process = ctx.Process(target=run_clients, args=(child, HOST, port, DIFF, share, 0), daemon=True)
            process.start()
            loaders.append((group, parent, process))
    results = [Watch(clients=count) for _, count in groups]
    try:
        for group, parent, _ in loaders:
            message = parent.recv() if parent.poll(180) else ("error", "no answer while connecting")
            if message[0] == "error":
                raise RuntimeError(message[1])
            results[group].connected += message[1]
        time.sleep(1.0)  # every client past its first keyframe
        for _, parent, _ in loaders:
            parent.send(("go", 0.0, 0.0))
        time.sleep(seconds)
        for _, parent, _ in loaders:
            parent.send(("stop",))
        per_group: dict[int, list[tuple[Any, ...]]] = {}
        cpu: dict[int, float] = {}
        for group, parent, _ in loaders:
            _, used, stats = parent.recv()
            per_group.setdefault(group, []).extend(stats)
            cpu[group] = cpu.get(group, 0.0) + used
    finally:
        for _, _, process in loaders:
            process.join(10)
            if process.is_alive():
                process.kill()
    for group, stats in per_group.items():
        result = results[group]
        latencies = array("d")
        for client in stats:
            latencies.frombytes(client[5])
        result.frames = sum(c[1] for c in stats)
        result.latency_p50_ms = percentile(latencies, 50)
        result.latency_p99_ms = percentile(latencies, 99)
        result.fps_per_client = statistics.mean(c[1] for c in stats) / seconds if stats else math.nan
        result.min_fps_share = min(c[1] for c in stats) / (seconds * FPS) if stats else math.nan
        result.loadgen_cpu_cores = cpu.get(group, 0.0) / seconds
        errors = sorted({c[6] for c in stats if c[6]})
        result.errors = [f"{sum(1 for c in stats if c[6] == e)} clients: {e}" for e in errors[:3]]
    return results


class Producer:
    def __init__(self, url: str, stream: str, direct_port: int | None = None) -> None:
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=produce, args=(child, url, stream, direct_port, 60.0), daemon=True)
        self.process.start()
        message = self.conn.recv() if self.conn.poll(60) else ("error", "producer did not start")
        if message[0] != "ready":
            raise RuntimeError(str(message))
        self.pid = int(message[1])

    def stop(self) -> dict[str, Any]:
        self.conn.send(("stop",))
        message = self.conn.recv() if self.conn.poll(30) else ("error", {})
        self.process.join(10)
        return dict(message[1])


# -- the three measurements ----------------------------------------------------------------
def hop(redis_port: int, clients: int, seconds: float) -> dict[str, Any]:
    url = f"redis://{HOST}:{redis_port}/0"
    stream = "hop-" + uuid.uuid4().hex[:8]
    direct, edge_port = free_port(), free_port()
    producer = Producer(url, stream, direct)
    edge = start_edge(url, stream, edge_port)
    try:
        if not (_wait(lambda: _accepts(direct)) and _wait(lambda: _accepts(edge_port))):
            raise RuntimeError("the producer or the edge never listened")
        net0 = redis_net(redis_port)
        direct_watch, edge_watch = watch([(direct, clients), (edge_port, clients)], seconds)
        net1 = redis_net(redis_port)
    finally:
        edge.terminate()
        edge.wait(10)
        summary = producer.stop()
    frames = summary["frames"]
    redis_metrics = summary["redis"]
    return {
        "clients_each": clients,
        "direct": asdict(direct_watch),
        "edge": asdict(edge_watch),
        "added_p50_ms": edge_watch.latency_p50_ms - direct_watch.latency_p50_ms,
        "added_p99_ms": edge_watch.latency_p99_ms - direct_watch.latency_p99_ms,
        "entry_bytes_per_frame": redis_metrics["bytes_published"]
        / max(1, redis_metrics["entries_published"]),
        "keyframes": redis_metrics["keyframes"],
        "deltas": redis_metrics["deltas"],
        # The window includes connecting: the counters are divided by the frames shown in the same window.
        "redis_in_bytes_per_frame": (net1[0] - net0[0]) / max(1, (seconds + 1.0) * FPS),
        "redis_out_bytes_per_frame_per_edge": (net1[1] - net0[1]) / max(1, (seconds + 1.0) * FPS),
        "frames": frames,
    }


def capacity(redis_port: int, edges: int, clients: int, seconds: float) -> dict[str, Any]:
    url = f"redis://{HOST}:{redis_port}/0"
    stream = f"cap{edges}-" + uuid.uuid4().hex[:8]
    port = free_port()
    producer = Producer(url, stream)
    processes = [start_edge(url, stream, port) for _ in range(edges)]
    try:
        time.sleep(1.5)  # every edge bound (the port answers as soon as the first one is)
        if not _wait(lambda: _accepts(port)) or any(p.poll() is not None for p in processes):
            raise RuntimeError(
                f"an edge did not start: {[p.stderr.read() if p.stderr else '' for p in processes]}"
            )
        pids = [p.pid for p in processes]
        cpu0, started = _cpu(pids), time.monotonic()
        (result,) = watch([(port, clients)], seconds)
        edge_cpu = (_cpu(pids) - cpu0) / (time.monotonic() - started)
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(10)
        producer.stop()
    served = result.latency_p99_ms <= 100 and result.min_fps_share >= 0.9 and result.connected == clients
    return {
        "edges": edges,
        **asdict(result),
        "edge_cpu_cores": edge_cpu,
        "served": served,
        "edge_cpu_us_per_delivery": edge_cpu * seconds * 1e6 / result.frames if result.frames else math.nan,
    }


def median_hop(hops: list[dict[str, Any]]) -> dict[str, Any]:
    """The hop measurement's medians over its repeats (the paths' latencies, the added latency, the bytes)."""
    result = dict(hops[0])
    for path in ("direct", "edge"):
        result[path] = {
            name: statistics.median(h[path][name] for h in hops)
            for name in ("latency_p50_ms", "latency_p99_ms", "fps_per_client")
        }
    for name in (
        "added_p50_ms",
        "added_p99_ms",
        "entry_bytes_per_frame",
        "redis_in_bytes_per_frame",
        "redis_out_bytes_per_frame_per_edge",
    ):
        result[name] = statistics.median(h[name] for h in hops)
    result["added_each"] = [(round(h["added_p50_ms"], 2), round(h["added_p99_ms"], 2)) for h in hops]
    return result


MEDIAN_FIELDS = (
    "connected",
    "latency_p50_ms",
    "latency_p99_ms",
    "fps_per_client",
    "min_fps_share",
    "edge_cpu_cores",
    "edge_cpu_us_per_delivery",
    "loadgen_cpu_cores",
)


def medians(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (edges, clients): the median of each number over the repeats; served if the median row is."""
    rows = []
    for key in sorted({(r["edges"], r["clients"]) for r in runs}, key=lambda k: (k[1], k[0])):
        group = [r for r in runs if (r["edges"], r["clients"]) == key]
        row: dict[str, Any] = {
            "edges": key[0],
            "clients": key[1],
            "repeats": len(group),
            "p99_each": [round(r["latency_p99_ms"], 1) for r in group],
            "errors": sorted({e for r in group for e in r["errors"]})[:2],
        }
        for name in MEDIAN_FIELDS:
            row[name] = statistics.median(r[name] for r in group)
        row["served"] = (
            row["latency_p99_ms"] <= 100 and row["min_fps_share"] >= 0.9 and row["connected"] == key[1]
        )
        rows.append(row)
    return rows


def _wait(condition: Any, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scaleout", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--clients", default="1000,1500,2000,2500,3000", help="viewer counts for 1 vs 2 edges"
    )
    parser.add_argument("--seconds", type=float, default=6.0, help="measured seconds per row")
    parser.add_argument(
        "--hop-clients", type=int, default=20, help="clients on each path in the hop measurement"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each (edges, clients) row; medians are reported"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.clients.split(",") if n]
    began = time.perf_counter()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as directory:
        redis_process, redis_port = start_redis(directory)
        try:
            hops = [hop(redis_port, args.hop_clients, max(args.seconds, 10.0)) for _ in range(args.repeats)]
            hop_result = median_hop(hops)
            print(
                f"  hop: direct p50/p99 {hop_result['direct']['latency_p50_ms']:.1f}/"
                f"{hop_result['direct']['latency_p99_ms']:.1f} ms, via Redis + edge "
                f"{hop_result['edge']['latency_p50_ms']:.1f}/{hop_result['edge']['latency_p99_ms']:.1f} ms",
                file=sys.stderr,
            )
            runs = []
            for clients in counts:
                for repeat in range(args.repeats):
                    # Interleaved, and the order flipped each time: load from elsewhere on the machine
                    # falls on both sides alike.
                    for edges in (1, 2) if repeat % 2 == 0 else (2, 1):
                        row = capacity(redis_port, edges, clients, args.seconds)
                        runs.append(row)
                    print(
                        f"  {edges} edge(s) {clients:5} clients: p99 {row['latency_p99_ms']:7.1f} ms, "
                        f"{row['fps_per_client']:.1f} fps/client (min {row['min_fps_share']:.0%}), "
                        f"edges {row['edge_cpu_cores']:.2f} cores, loadgen {row['loadgen_cpu_cores']:.2f} cores"
                        f"{' served' if row['served'] else ''} {'; '.join(row['errors'])}",
                        file=sys.stderr,
                    )
        finally:
            redis_process.terminate()
            redis_process.wait(10)
    rows = medians(runs)
    best = {
        edges: max((r["clients"] for r in rows if r["edges"] == edges and r["served"]), default=0)
        for edges in (1, 2)
    }
    ratio = best[2] / best[1] if best[1] else math.nan
    report = [
        "### Scale-out (one run, this machine: "
        f"{os.cpu_count()} CPUs, load {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, "
        f"{time.perf_counter() - began:.0f} s)",
        "",
        f"Redis hop ({args.hop_clients} diff clients on each path, demo 200x60 at 30 fps, medians of {len(hops)} runs):",
        "",
        "| path | latency p50 ms | latency p99 ms | fps/client |",
        "|---|---|---|---|",
        *(
            f"| {name} | {hop_result[key]['latency_p50_ms']:.2f} | {hop_result[key]['latency_p99_ms']:.2f} "
            f"| {hop_result[key]['fps_per_client']:.1f} |"
            for key, name in (("direct", "producer's own hub"), ("edge", "producer → Redis → edge hub"))
        ),
        "",
        f"Added by the Redis hop (medians of {len(hops)} runs): p50 {hop_result['added_p50_ms']:+.2f} ms "
        f"(target ≤ 2), p99 {hop_result['added_p99_ms']:+.2f} ms (target ≤ 10); each run (p50, p99): "
        f"{hop_result['added_each']}.",
        f"Redis bandwidth: {hop_result['entry_bytes_per_frame']:.0f} B of entry per frame "
        f"({hop_result['keyframes']} keyframes, {hop_result['deltas']} deltas); Redis's own counters: "
        f"{hop_result['redis_in_bytes_per_frame']:.0f} B in per frame, "
        f"{hop_result['redis_out_bytes_per_frame_per_edge']:.0f} B out per frame to the one edge.",
        "",
        f"Viewers (diff codec) of demo 200x60 at 30 fps, {args.seconds:g} s per run, medians of {args.repeats} "
        "runs (1 and 2 edges interleaved); served = median p99 ≤ 100 ms and every client ≥ 90% of the frames:",
        "",
        "| edges | clients | latency p50 ms | latency p99 ms (each run) | fps/client | min share | edge CPU (cores) "
        "| edge CPU µs/delivery | loadgen CPU (cores) | served |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(
            f"| {r['edges']} | {r['connected']:.0f}/{r['clients']} | {r['latency_p50_ms']:.1f} "
            f"| {r['latency_p99_ms']:.1f} ({', '.join(map(str, r['p99_each']))}) "
            f"| {r['fps_per_client']:.1f} | {r['min_fps_share']:.0%} | {r['edge_cpu_cores']:.2f} "
            f"| {r['edge_cpu_us_per_delivery']:.1f} | {r['loadgen_cpu_cores']:.2f} | {'yes' if r['served'] else 'no'} |"
            for r in rows
        ),
        "",
        f"Most viewers served: 1 edge {best[1]}, 2 edges {best[2]} ({ratio:.2f}×; target ≥ 1.6×).",
    ]
    text = "\n".join(report)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"{stamp}-scaleout.json").write_text(
        json.dumps(
            {"hops": hops, "hop": hop_result, "runs": runs, "rows": rows, "best": best}, indent=1, default=str
        )
    )
    (args.out / "latest-scaleout.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
