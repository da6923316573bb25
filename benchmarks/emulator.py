"""Terminal emulator throughput: pyte (replay's emulator before) vs avt through glyphcast.vt (now).

``python -m benchmarks --emulator`` or ``python -m benchmarks.emulator [--mb 1] [--runs 5]``.

Two measures per input: **feed** is the emulator alone (each write interpreted);
**feed + rows** is what replay does with each write: feed it, then take the rows
(the changed lines rendered as rows with SGR; the pty source does this at most
--fps times a second, replay once per recorded event). The same writes go to both
emulators on a 200x50 screen; the time is the median of ``--runs`` runs, each on a
fresh screen, and MB/s counts the UTF-8 bytes written.

Inputs:

- ``casts``: the output events of the recordings in tests/record/data (asciinema's
  and asciinema-player's test casts, asciinema's vim demo), one write per event,
  repeated up to the size;
- ``cat``: a big colourful log as ``cat`` prints it (16, 256 and truecolor, bold,
  a wide character now and then), scrolling, in 4 KiB writes like a pty read;
- ``vim``: a full-screen program repainting 200x50 on the alternate screen (scroll
  region, 256-colour syntax colours, status line, cursor hidden while drawing),
  one write per repaint.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

CASTS = Path(__file__).resolve().parents[1] / "tests" / "record" / "data"
WIDTH, HEIGHT = 200, 50


# -- inputs: lists of writes -------------------------------------------------------------


def casts_writes(size: int) -> tuple[list[str], tuple[int, int]]:
    """The recordings' output events, in order, repeated up to ``size`` bytes (each pass
    starts with a full reset, so each cast draws on the screen it expects)."""
    from glyphcast_record import read_recording

    events = []
    for path in sorted(CASTS.glob("*.cast")):
        events.append("\x1bc")
        events += [e.data for e in read_recording(path).events if e.code == "o"]
    return _repeat(events, size), (WIDTH, HEIGHT)


def cat_writes(size: int) -> tuple[list[str], tuple[int, int]]:
    """A colourful log, as cat would print it, cut into 4 KiB writes."""
    lines = []
    for n in range(2000):
        level = ("\x1b[32mINFO\x1b[0m", "\x1b[1;33mWARN\x1b[0m", "\x1b[1;31mERROR\x1b[0m")[n % 3]
        lines.append(
            f"\x1b[38;5;{240 + n % 16}m2026-11-26 12:{n % 60:02d}:{n % 60:02d}\x1b[0m {level} "
            f"\x1b[38;2;{n % 256};{(n * 7) % 256};200mworker-{n % 8}\x1b[0m request {n} took "
            f"\x1b[1m{n % 997} ms\x1b[0m{' 漢字' if n % 10 == 0 else ''} path=/api/v1/items/{n}?page={n % 40}\r\n"
        )
    text = "".join(lines)
    text = text * (size // len(text.encode()) + 1)
    writes, total, at = [], 0, 0
    while total < size:
        chunk = text[at : at + 4096]
        writes.append(chunk)
        total += len(chunk.encode())
        at += 4096
    return writes, (WIDTH, HEIGHT)


def vim_writes(size: int) -> tuple[list[str], tuple[int, int]]:
    """Full-screen repaints of a 200x50 editor on the alternate screen, one write each."""
    keywords = ("def", "return", "import", "class", "for", "in", "if", "else")

    def repaint(frame: int) -> str:
        out = ["\x1b[?25l\x1b[H"]
        for row in range(HEIGHT - 2):
            number = frame * (HEIGHT - 2) + row + 1  # a page further each time: no line seen before
            words = [keywords[(number + k) % len(keywords)] for k in range(6)]
            code = " ".join(
                f"\x1b[38;5;{170 + i}m{w}\x1b[38;5;252m name_{number}_{i}" for i, w in enumerate(words)
            )
            out.append(f"\x1b[{row + 1};1H\x1b[38;5;243m{number:5} \x1b[38;5;252m{code}\x1b[K")
        out.append(
            f"\x1b[{HEIGHT - 1};1H\x1b[1;38;5;231;48;5;236m notes.py [+] line {frame + 1} col 1 \x1b[K\x1b[m"
        )
        out.append(f"\x1b[{HEIGHT};1H-- INSERT --\x1b[K\x1b[1;7H\x1b[?25h")
        return "".join(out)

    writes = ["\x1b[?1049h\x1b[1;48r\x1b[H\x1b[2J"]
    total = 0
    frame = 0
    while total < size:
        writes.append(repaint(frame))
        total += len(writes[-1].encode())
        frame += 1
    writes.append("\x1b[r\x1b[?1049l")
    return writes, (WIDTH, HEIGHT)


def _repeat(writes: list[str], size: int) -> list[str]:
    out, total = [], 0
    while total < size:
        for write in writes:
            out.append(write)
            total += len(write.encode())
    return out


INPUTS: dict[str, Callable[[int], tuple[list[str], tuple[int, int]]]] = {
    "casts": casts_writes,
    "cat": cat_writes,
    "vim": vim_writes,
}


# -- contenders: feed one write (and take the rows) ------------------------------------------


def avt_screen(width: int, height: int, rows: bool) -> Callable[[str], object]:
    """glyphcast.vt (asciinema's avt): what replay and the pty source use now."""
    from glyphcast.vt import Screen

    screen = Screen(width, height)
    return (lambda text: (screen.feed(text), screen.snapshot())) if rows else screen.feed


def pyte_screen(width: int, height: int, rows: bool) -> Callable[[str], object]:
    """pyte, with the row rendering replay used before glyphcast.vt (benchmarks/pyte_rows.py)."""
    from benchmarks.pyte_rows import PyteRows

    screen = PyteRows(width, height)
    return screen.write if rows else screen.stream.feed


CONTENDERS: dict[str, Callable[[int, int, bool], Callable[[str], object]]] = {
    "pyte": pyte_screen,
    "avt": avt_screen,
}


def measure(
    make: Callable[[int, int, bool], Callable[[str], object]],
    writes: list[str],
    size: tuple[int, int],
    rows: bool,
    runs: int,
) -> float:
    """Median seconds to feed every write to a fresh screen (taking its rows after each, with ``rows``)."""
    times = []
    for _ in range(runs):
        write = make(*size, rows)
        started = time.perf_counter()
        for text in writes:
            write(text)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _versions() -> str:
    found = []
    for dist in ("pyte", "pyavt"):
        try:
            found.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            found.append(f"{dist} not installed")
    return ", ".join(found)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return platform.processor() or "?"
    return platform.processor() or "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.emulator", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--mb", type=float, default=1.0, help="MB of output per input (default 1; pyte needs ~2 s/MB)"
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="runs per contender and input; the median counts (default 5)"
    )
    parser.add_argument(
        "--inputs", default=",".join(INPUTS), help=f"comma-separated, from {', '.join(INPUTS)}"
    )
    args = parser.parse_args(argv)
    names = [n for n in args.inputs.split(",") if n]
    unknown = [n for n in names if n not in INPUTS]
    if unknown:
        parser.error(f"unknown input(s) {', '.join(unknown)}; choose from {', '.join(INPUTS)}")
    size = int(args.mb * 1_000_000)
    print(
        f"# emulator throughput: {_cpu()}, Python {platform.python_version()}, {_versions()}, "
        f"{args.mb:g} MB per input, median of {args.runs}",
        file=sys.stderr,
    )
    lines = [
        "| input | writes | feed: pyte (old) | feed: avt (new) | new ÷ old "
        "| feed + rows: pyte (old) | feed + rows: avt via glyphcast.vt (new) | new ÷ old |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        writes, screen_size = INPUTS[name](size)
        megabytes = sum(len(w.encode()) for w in writes) / 1e6
        cells = []
        for rows in (False, True):
            rate = {}
            for contender, make in CONTENDERS.items():
                rate[contender] = megabytes / measure(make, writes, screen_size, rows, args.runs)
                print(
                    f"  {name:6} {contender:5} {'feed + rows' if rows else 'feed':12} {rate[contender]:8.2f} MB/s",
                    file=sys.stderr,
                )
            cells += [
                f"{rate['pyte']:.2f} MB/s",
                f"{rate['avt']:.1f} MB/s",
                f"{rate['avt'] / rate['pyte']:.0f}×",
            ]
        lines.append(f"| {name} ({megabytes:.1f} MB) | {len(writes):,} | " + " | ".join(cells) + " |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
