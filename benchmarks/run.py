"""Run the fan-out benchmark: ``python -m benchmarks [--full] [--only KIND,...] [--out DIR]``.

Every row starts a fresh server process (one contender) and client processes
(the load generator), paces the same frames at the same fps through it, and
collects what the server and every client measured. Prints a markdown table
with the issue's targets checked (pass/miss) and writes the raw numbers as JSON
to ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from array import array
from dataclasses import asdict, dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from benchmarks.loadgen import run_clients
from benchmarks.servers import HOST, serve
from benchmarks.workloads import WORKLOADS, make_frames

SUBPROTOCOLS = {
    "json": "glyphcast.json.v1",
    "binary": "glyphcast.binary.v1",
    "diff": "glyphcast.diff.v1",
    # The same codecs to clients that negotiate permessage-deflate (compressed once per frame by the hub).
    "json-deflate": "glyphcast.json.v1",
    "diff-deflate": "glyphcast.diff.v1",
    # glyphcast-asciinema: what asciinema-player reads (keyframes + updates of the rows that differ).
    "alis": "v1.alis",
    "asciicast-v2": "v2.asciicast",
    "asciicast-v3": "v3.asciicast",
    "baseline": None,
    "ideal": None,
}
DEFLATE_SUFFIX = "-deflate"
CLIENTS_PER_PROCESS = 250
RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Mode:
    name: str
    seconds: float
    clients: tuple[int, ...]
    idle_clients_kinds: tuple[str, ...]
    stall_clients: int
    stall_at: float
    stall_for: float
    stall_seconds: float
    fps: float = 30.0
    grace: float = 0.5


QUICK = Mode("quick", 1.5, (1, 200), ("diff",), 200, 0.5, 3.0, 5.0)
FULL = Mode("full", 10.0, (1, 100, 500, 1000), ("json", "binary", "diff"), 1000, 2.0, 10.0, 16.0)


@dataclass
class Row:
    kind: str
    workload: str
    clients: int
    stalled: int = 0
    connected: int = 0
    frames: int = 0
    show_p50_us: float = math.nan
    show_p99_us: float = math.nan
    server_cpu_us_per_frame: float = math.nan
    server_cpu_s: float = math.nan
    bytes_per_frame: float = math.nan
    fps_per_client: float = math.nan
    latency_p50_ms: float = math.nan
    latency_p99_ms: float = math.nan
    rss_mb: float = math.nan
    rss_growth_kb: float = math.nan
    converged: float = math.nan
    converge_lag_ms: float = math.nan
    loadgen_cpu_cores: float = math.nan
    wall_s: float = 0.0
    errors: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float] | array, q: float) -> float:
    if not len(values):
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def _recv(conn: Any, timeout: float, what: str) -> Any:
    if not conn.poll(timeout):
        raise TimeoutError(f"no {what} within {timeout:.0f} s")
    message = conn.recv()
    if message[0] == "error":
        raise RuntimeError(f"{what}: {message[1]}")
    return message


def run_row(
    kind: str,
    workload: str,
    clients: int,
    mode: Mode,
    stalled: int = 0,
    seconds: float | None = None,
    profile: Path | None = None,
) -> Row:
    """One contender, one workload, one client count: a fresh server and fresh clients."""
    ctx = mp.get_context("fork")
    seconds = seconds or mode.seconds
    count = int(seconds * mode.fps)
    row = Row(kind, workload, clients, stalled)
    started = time.perf_counter()
    port = free_port()
    server_conn, child = ctx.Pipe()
    server = ctx.Process(
        target=serve,
        args=(child, kind, workload, count, mode.fps, port, mode.grace, clients + 16),
        daemon=True,
    )
    server.start()
    loaders: list[tuple[Any, Any]] = []
    try:
        ready = _recv(server_conn, 60, f"{kind} server start")
        server_pid, origin_ms = ready[1], (ready[2] if len(ready) > 2 else None)
        processes = math.ceil(clients / CLIENTS_PER_PROCESS)
        for index in range(processes):
            share = clients // processes + (1 if index < clients % processes else 0)
            stall_share = stalled // processes + (1 if index < stalled % processes else 0)
            parent, child = ctx.Pipe()
            process = ctx.Process(
                target=run_clients,
                args=(
                    child,
                    HOST,
                    port,
                    SUBPROTOCOLS[kind],
                    share,
                    stall_share,
                    kind.endswith(DEFLATE_SUFFIX),
                    origin_ms,
                ),
                daemon=True,
            )
            process.start()
            loaders.append((parent, process))
        row.connected = sum(_recv(parent, 120, "clients connecting")[1] for parent, _ in loaders)
        for parent, _ in loaders:
            parent.send(("go", mode.stall_at, mode.stall_for if stalled else 0.0))
        spy = _start_profiler(server_pid, profile, seconds) if profile else None
        server_conn.send(("go",))
        _, result = _recv(server_conn, seconds + mode.grace + 60, f"{kind} server run")
        if spy is not None:
            spy.wait(30)
        client_cpu, per_client = 0.0, []
        for parent, _ in loaders:
            parent.send(("stop",))
        for parent, _ in loaders:
            _, cpu, stats = _recv(parent, 60, "client stats")
            client_cpu += cpu
            per_client.extend(stats)
        server_conn.send(("exit",))
        _summarise(row, result, per_client, client_cpu, seconds, mode)
    except Exception as error:
        row.errors.append(f"{type(error).__name__}: {error}")
    finally:
        for _, process in loaders:
            process.join(10)
            if process.is_alive():
                process.kill()
        server.join(10)
        if server.is_alive():
            server.kill()
    row.wall_s = round(time.perf_counter() - started, 2)
    return row


def _start_profiler(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes]:
    """py-spy on the server process for the measured window (collapsed stacks, one line per stack)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, int(seconds))),
            "--rate",
            "250",
            "--format",
            "raw",
            "--threads",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def top_functions(collapsed: Path, limit: int = 15) -> list[tuple[str, float, float]]:
    """(function, self %, total %) from a py-spy raw profile."""
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        samples += count
        frames = [
            f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0].rsplit("/", 1)[-1] + ")"
            if " (" in f
            else f
            for f in stack.split(";")
        ]
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for name in set(frames):
            total[name] = total.get(name, 0) + count
    ranked = sorted(own, key=lambda n: own[n], reverse=True)[:limit]
    return [(name, 100 * own[name] / samples, 100 * total[name] / samples) for name in ranked]


def _summarise(
    row: Row, server: dict[str, Any], per_client: list[tuple], client_cpu: float, seconds: float, mode: Mode
) -> None:
    shows = [ns / 1000 for ns in server["show_ns"]]
    row.frames = server["frames"]
    row.show_p50_us = statistics.median(shows)
    row.show_p99_us = percentile(shows, 99)
    row.server_cpu_s = server["cpu_s"]
    row.rss_mb = server["rss_peak"] / 2**20
    row.rss_growth_kb = (server["rss_peak"] - server["rss_start"]) / 1024
    row.errors.extend(server.get("display_errors", []))
    window = seconds + mode.grace
    row.loadgen_cpu_cores = client_cpu / window
    if not per_client:
        return
    delivered = sum(c[1] for c in per_client)
    reading = [c for c in per_client if not c[0]]
    latencies = array("d")
    for c in reading:
        latencies.frombytes(c[5])
    row.server_cpu_us_per_frame = server["cpu_s"] * 1e6 / delivered if delivered else math.nan
    row.bytes_per_frame = sum(c[2] for c in per_client) / delivered if delivered else math.nan
    row.fps_per_client = statistics.mean(c[1] for c in reading) / seconds if reading else math.nan
    row.latency_p50_ms = percentile(latencies, 50)
    row.latency_p99_ms = percentile(latencies, 99)
    last, last_ts = server["last_seq"], server.get("last_ts", math.nan)
    # asciicast carries no seq: a client has the last frame when it has that frame's time (to the µs).
    converged = [c for c in per_client if c[3] == last or abs(c[7] - last_ts) < 0.01]
    row.converged = len(converged) / len(per_client)
    row.converge_lag_ms = max((max(0.0, c[4] - server["stop_ms"]) for c in converged), default=math.nan)
    errors = sorted({c[6] for c in per_client if c[6]})
    row.errors.extend(f"{sum(1 for c in per_client if c[6] == e)} clients: {e}" for e in errors[:3])


# -- the plan ------------------------------------------------------------------
def plan(mode: Mode, kinds: list[str]) -> list[tuple[str, str, int]]:
    rows = []
    for workload in WORKLOADS:
        for kind in kinds:
            if kind in mode.idle_clients_kinds:
                rows.append((kind, workload, 0))
        for clients in mode.clients:
            rows.extend((kind, workload, clients) for kind in kinds)
    return rows


def _fmt(value: float, digits: int = 0) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "–"
    return f"{value:,.{digits}f}"


def find(rows: list[Row], kind: str, workload: str, clients: int, stalled: int = 0) -> Row | None:
    for row in rows:
        if (row.kind, row.workload, row.clients, row.stalled) == (kind, workload, clients, stalled) and not (
            row.stalled == 0 and row.clients != clients
        ):
            return row
    return None


def table(rows: list[Row]) -> str:
    head = (
        "| workload | clients | contender | show p50 µs | show p99 µs | server CPU µs/frame | bytes/frame "
        "| fps/client | latency p50 ms | latency p99 ms | server RSS MB | CPU ×baseline | CPU ×ideal "
        "| converged | loadgen CPU (cores) |"
    )
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for row in rows:
        base = find(rows, "baseline", row.workload, row.clients, row.stalled)
        ideal = find(rows, "ideal", row.workload, row.clients, row.stalled)

        def ratio(other: Row | None, row: Row = row) -> str:
            if other is None or row.kind in ("baseline", "ideal") and other.kind == row.kind:
                return "–" if other is None or other is row else ""
            return _fmt(row.server_cpu_us_per_frame / other.server_cpu_us_per_frame, 2) + "×"

        clients = f"{row.clients}" + (f" ({row.stalled} stalled)" if row.stalled else "")
        conv = "–" if math.isnan(row.converged) else f"{row.converged:.0%} +{_fmt(row.converge_lag_ms)} ms"
        lines.append(
            f"| {row.workload} | {clients} | {row.kind} | {_fmt(row.show_p50_us, 1)} | {_fmt(row.show_p99_us, 1)} "
            f"| {_fmt(row.server_cpu_us_per_frame, 1)} | {_fmt(row.bytes_per_frame)} | {_fmt(row.fps_per_client, 1)} "
            f"| {_fmt(row.latency_p50_ms, 1)} | {_fmt(row.latency_p99_ms, 1)} | {_fmt(row.rss_mb, 1)} "
            f"| {ratio(base) if row.kind != 'baseline' else ''} | {ratio(ideal) if row.kind != 'ideal' else ''} "
            f"| {conv} | {_fmt(row.loadgen_cpu_cores, 2)} |"
            + (f" ⚠ {'; '.join(row.errors)}" if row.errors else "")
        )
    return "\n".join(lines)


def check_targets(rows: list[Row], stall_rows: dict[str, Row], mode: Mode) -> list[tuple[str, str, str]]:
    """(target, measured, pass/miss) for each of the issue's targets that this run can check."""
    most = max(mode.clients)
    at500 = 500 if 500 in mode.clients else most
    checks: list[tuple[str, str, str]] = []

    def verdict(ok: bool | None) -> str:
        return "–" if ok is None else ("pass" if ok else "**miss**")

    for kind in ("json", "binary", "diff"):
        idle, loaded = find(rows, kind, "demo 200x60", 0), find(rows, kind, "demo 200x60", most)
        if idle and loaded:
            ok = loaded.show_p50_us <= 1.5 * idle.show_p50_us and loaded.show_p50_us < 100
            checks.append(
                (
                    f"{kind}: show() p50 with {most} clients ≤ 1.5× with 0 clients, < 100 µs (demo 200x60)",
                    f"{loaded.show_p50_us:.1f} µs vs {idle.show_p50_us:.1f} µs",
                    verdict(ok),
                )
            )
    for workload, share in (("demo 200x60", 4), ("ticker 80x24", 20)):
        diff, full = (
            find(rows, "diff", workload, most),
            find(rows, "json", workload, most) or find(rows, "baseline", workload, most),
        )
        if diff and full:
            r = diff.bytes_per_frame / full.bytes_per_frame
            checks.append(
                (
                    f"diff bytes/frame ≤ 1/{share} of the JSON full frame ({workload})",
                    f"{diff.bytes_per_frame:.0f} B / {full.bytes_per_frame:.0f} B = 1/{1 / r:.1f}",
                    verdict(r <= 1 / share),
                )
            )
    for workload in WORKLOADS:
        diff, base, ideal = (find(rows, k, workload, at500) for k in ("diff", "baseline", "ideal"))
        if diff and base and ideal:
            rb = diff.server_cpu_us_per_frame / base.server_cpu_us_per_frame
            ri = diff.server_cpu_us_per_frame / ideal.server_cpu_us_per_frame
            checks.append(
                (
                    f"diff server CPU/frame ≤ 0.5× baseline at {at500} clients ({workload})",
                    f"{rb:.2f}×",
                    verdict(rb <= 0.5),
                )
            )
            checks.append(
                (
                    f"diff server CPU/frame ≤ 1.5× ideal at {at500} clients ({workload})",
                    f"{ri:.2f}×",
                    verdict(ri <= 1.5),
                )
            )
    for workload in WORKLOADS:
        diff = find(rows, "diff", workload, most)
        if diff:
            checks.append(
                (
                    f"{most} diff clients at 30 fps: p99 latency ≤ 100 ms ({workload})",
                    f"{diff.latency_p99_ms:.1f} ms",
                    verdict(diff.latency_p99_ms <= 100),
                )
            )
            interval = 1000 / mode.fps
            ok = diff.converged == 1.0 and diff.converge_lag_ms <= interval
            checks.append(
                (
                    f"every diff client has the last frame ≤ 1 frame interval after the stream stops ({workload})",
                    f"{diff.converged:.0%} of clients, last within +{diff.converge_lag_ms:.1f} ms",
                    verdict(ok),
                )
            )
    for workload in WORKLOADS:
        packed, diff = find(rows, "diff-deflate", workload, most), find(rows, "diff", workload, most)
        full = find(rows, "json", workload, most) or find(rows, "baseline", workload, most)
        if packed and full and workload == "demo 200x60":
            r = packed.bytes_per_frame / full.bytes_per_frame
            checks.append(
                (
                    f"diff-deflate bytes/delivery ≤ 1/50 of the JSON full frame ({workload})",
                    f"{packed.bytes_per_frame:.0f} B / {full.bytes_per_frame:.0f} B = 1/{1 / r:.1f}",
                    verdict(r <= 1 / 50),
                )
            )
        if packed and diff:
            r = packed.server_cpu_us_per_frame / diff.server_cpu_us_per_frame
            checks.append(
                (
                    f"diff-deflate server CPU/delivery ≤ 1.1× diff at {most} clients ({workload})",
                    f"{packed.server_cpu_us_per_frame:.1f} vs {diff.server_cpu_us_per_frame:.1f} µs "
                    f"({r:.2f}×)",
                    verdict(r <= 1.1),
                )
            )
    calm, stall = stall_rows.get("diff"), stall_rows.get("diff-stall")
    if calm and stall and stall.stalled:
        ratio = stall.latency_p99_ms / calm.latency_p99_ms
        checks.append(
            (
                "stall: reading clients' p99 latency ≤ 1.2× the no-stall run",
                f"{stall.latency_p99_ms:.1f} vs {calm.latency_p99_ms:.1f} ms ({ratio:.2f}×)",
                verdict(ratio <= 1.2),
            )
        )
        growth = (stall.rss_growth_kb - calm.rss_growth_kb) / stall.stalled
        checks.append(
            (
                "stall: server RSS growth ≤ 100 KB per stalled client",
                f"{growth:.1f} KB/client ({stall.rss_growth_kb:.0f} KB vs {calm.rss_growth_kb:.0f} KB)",
                verdict(growth <= 100),
            )
        )
        ok = stall.show_p50_us <= 1.5 * calm.show_p50_us
        checks.append(
            (
                "stall: producer unaffected (show() p50 ≤ 1.5× the no-stall run)",
                f"{stall.show_p50_us:.1f} vs {calm.show_p50_us:.1f} µs",
                verdict(ok),
            )
        )
    return checks


def machine() -> dict[str, Any]:
    model = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("glyphcast", "glyphcast-websocket", "websockets", "msgpack", "uvloop"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = None
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "loadavg_before": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="every client count, 10 s rows, 10 s stall")
    parser.add_argument(
        "--only",
        default="baseline,json,binary,diff,diff-deflate,alis,asciicast-v2,asciicast-v3,ideal",
        help="comma-separated contenders (default: all)",
    )
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated workloads")
    parser.add_argument("--clients", default="", help="comma-separated client counts (default: the mode's)")
    parser.add_argument("--no-stall", action="store_true", help="skip the stall scenario")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON results go")
    parser.add_argument(
        "--no-uvloop",
        action="store_true",
        help="keep the hub on asyncio's own loop even if uvloop is installed",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy each server during its row; top functions printed, raw stacks in --out",
    )
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="instead: terminal emulator throughput, pyte vs avt (benchmarks/emulator.py; "
        "takes its --mb, --runs, --inputs)",
    )
    args, rest = parser.parse_known_args(argv)
    if args.emulator:
        from benchmarks.emulator import main as emulator

        return emulator(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    mode = FULL if args.full else QUICK
    if args.no_uvloop:
        os.environ["GLYPHCAST_BENCH_UVLOOP"] = "0"
    if args.clients:
        mode = replace(mode, clients=tuple(int(n) for n in args.clients.split(",")))
    kinds = [k for k in args.only.split(",") if k]
    unknown = [k for k in kinds if k not in SUBPROTOCOLS]
    if unknown:
        parser.error(f"unknown contender(s) {', '.join(unknown)}; choose from {', '.join(SUBPROTOCOLS)}")
    workloads = [w for w in args.workloads.split(",") if w]
    bad = [w for w in workloads if w not in WORKLOADS]
    if bad:
        parser.error(f"unknown workload(s) {bad}; choose from {list(WORKLOADS)}")

    began = time.perf_counter()
    facts = machine()
    _, _, _, origin = make_frames("demo 80x24", 1)
    print(
        f"# glyphcast fan-out benchmark ({mode.name}): {facts['nproc']} × {facts['cpu']}, "
        f"Python {facts['python']}, demo frames from: {origin}",
        file=sys.stderr,
    )
    rows: list[Row] = []
    for kind, workload, clients in plan(mode, kinds):
        if workload not in workloads:
            continue
        profile = (
            args.out / f"profile-{kind}-{workload.replace(' ', '-')}-{clients}.txt" if args.profile else None
        )
        row = run_row(kind, workload, clients, mode, profile=profile)
        rows.append(row)
        if profile is not None and profile.exists():
            print(
                f"    py-spy, {profile.name}: "
                + "; ".join(f"{name} {own:.0f}%/{tot:.0f}%" for name, own, tot in top_functions(profile, 8)),
                file=sys.stderr,
            )
        print(
            f"  {workload:13} {clients:5} {kind:8} show p50 {_fmt(row.show_p50_us, 1):>7} µs  "
            f"cpu/frame {_fmt(row.server_cpu_us_per_frame, 1):>7} µs  p99 {_fmt(row.latency_p99_ms, 1):>6} ms  "
            f"({row.wall_s} s){'  ' + '; '.join(row.errors) if row.errors else ''}",
            file=sys.stderr,
        )
    stall_rows: dict[str, Row] = {}
    if not args.no_stall:
        stalled = mode.stall_clients // 10
        for kind in (k for k in ("diff", "baseline") if k in kinds):
            for label, n in ((kind, 0), (f"{kind}-stall", stalled)):
                row = run_row(
                    kind, "demo 200x60", mode.stall_clients, mode, stalled=n, seconds=mode.stall_seconds
                )
                stall_rows[label] = row
                print(
                    f"  stall scenario {label:14} p99 {_fmt(row.latency_p99_ms, 1)} ms  "
                    f"RSS +{_fmt(row.rss_growth_kb)} KB ({row.wall_s} s)",
                    file=sys.stderr,
                )
    checks = check_targets(rows, stall_rows, mode)
    facts["loadavg_after"] = os.getloadavg()
    elapsed = time.perf_counter() - began

    report = [
        f"### Fan-out, {mode.name} mode ({mode.seconds:g} s per row at {mode.fps:g} fps)",
        "",
        table(rows),
    ]
    if stall_rows:
        report += [
            "",
            f"### Stall scenario: {mode.stall_clients} clients on demo 200x60, 10% stop reading for "
            f"{mode.stall_for:g} s ({mode.stall_seconds:g} s run)",
            "",
            table(list(stall_rows.values())),
            "",
            "RSS growth over the run (KB): "
            + ", ".join(f"{label} {_fmt(r.rss_growth_kb)}" for label, r in stall_rows.items()),
        ]
    report += ["", "### Targets", "", "| target | measured | result |", "|---|---|---|"]
    report += [f"| {t} | {m} | {v} |" for t, m, v in checks]
    report += [
        "",
        f"Machine: {facts['nproc']} CPUs, {facts['cpu']}, Python {facts['python']}, "
        f"websockets {facts['versions']['websockets']}, msgpack {facts['versions']['msgpack']}, "
        f"uvloop {facts['versions']['uvloop'] or 'not installed'}{' (disabled)' if args.no_uvloop else ''}. Demo frames: {origin}. "
        f"Load average before/after: {facts['loadavg_before'][0]:.1f}/{facts['loadavg_after'][0]:.1f} "
        "(other work on the machine shows up as latency outliers). "
        f"Run took {elapsed:.0f} s. Reproduce: `python -m benchmarks{' --full' if args.full else ''}`.",
    ]
    text = "\n".join(report)
    print(text)

    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    payload = {
        "mode": asdict(mode),
        "machine": facts,
        "demo_frames": origin,
        "elapsed_s": elapsed,
        "rows": [asdict(r) for r in rows],
        "stall": {k: asdict(r) for k, r in stall_rows.items()},
        "targets": [{"target": t, "measured": m, "result": v} for t, m, v in checks],
    }
    for name in (f"{stamp}-{mode.name}.json", f"latest-{mode.name}.json"):
        (args.out / name).write_text(json.dumps(payload, indent=1, default=str))
    (args.out / f"latest-{mode.name}.md").write_text(text + "\n")
    print(f"\nresults: {args.out / f'{stamp}-{mode.name}.json'}", file=sys.stderr)
    return 0
