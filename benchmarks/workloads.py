"""The frames every contender sends: generated the same way in every server process.

``demo`` is core's ``demo`` source (``glyphcast.open_source("demo", ...)``) when it
is installed; otherwise a deterministic stand-in with the same character: an
animated, coloured field where nearly every row changes every frame.
``ticker`` is a static screen where exactly one row changes per frame.
"""

from __future__ import annotations

import math
from itertools import islice

PALETTE = " .:-=+*#%@"
COLOURS = (31, 33, 32, 36, 34, 35, 91, 93, 92, 96)


def _stand_in_demo(width: int, height: int, count: int) -> list[list[str]]:
    frames = []
    for t in range(count):
        phase = t / 6.0
        rows = []
        for y in range(height):
            parts, last_colour = [], None
            for x in range(width):
                v = (
                    math.sin(x / 7.0 + phase)
                    + math.sin(y / 5.0 - phase / 2)
                    + math.sin((x + y) / 11.0 + phase / 3)
                )
                level = min(9, int((v + 3.0) / 6.0 * 10))
                colour = COLOURS[level]
                if colour != last_colour:
                    parts.append(f"\x1b[{colour}m")
                    last_colour = colour
                parts.append(PALETTE[level])
            parts.append("\x1b[0m")
            rows.append("".join(parts))
        frames.append(rows)
    return frames


def demo_frames(width: int, height: int, count: int) -> tuple[list[list[str]], str]:
    """``count`` frames of the demo animation, and where they came from."""
    try:
        import glyphcast

        source = glyphcast.open_source("demo", width=width, height=height)
    except Exception:  # core's demo source not installed (yet): the stand-in is deterministic too
        return _stand_in_demo(width, height, count), "stand-in"
    frames = [list(cue.rows) for cue in islice((c for c in source if c.rows is not None), count)]
    if len(frames) < count:  # a finite source: loop it
        frames = [frames[i % len(frames)] for i in range(count)]
    return frames, "glyphcast demo source"


def _quote(symbol: int, tick: int, width: int) -> str:
    price = 100 + (symbol * 131 + tick * 37) % 1000 / 10
    change = ((symbol * 7 + tick * 13) % 200 - 100) / 100
    colour = 32 if change >= 0 else 31
    text = f"SYM{symbol:03d} {price:9.2f} {change:+6.2f}%  vol {(symbol * 977 + tick * 31) % 100000:6d}  tick {tick:06d}"
    return f"\x1b[1m{text[:6]}\x1b[0m\x1b[{colour}m{text[6:width]}\x1b[0m"


def ticker_frames(width: int, height: int, count: int) -> list[list[str]]:
    """A quote board: every row a coloured quote line; one row gets a new quote per frame."""
    rows = [_quote(y, 0, width) for y in range(height)]
    frames = []
    for t in range(count):
        y = t % height
        rows[y] = _quote(y, t + 1, width)
        frames.append(list(rows))
    return frames


#: name -> (width, height, kind)
WORKLOADS = {
    "demo 80x24": (80, 24, "demo"),
    "demo 200x60": (200, 60, "demo"),
    "ticker 80x24": (80, 24, "ticker"),
}


def make_frames(workload: str, count: int) -> tuple[list[list[str]], int, int, str]:
    """(frames, width, height, where the frames came from) for a workload name."""
    width, height, kind = WORKLOADS[workload]
    if kind == "ticker":
        return ticker_frames(width, height, count), width, height, "one row per frame"
    frames, origin = demo_frames(width, height, count)
    return frames, width, height, origin
