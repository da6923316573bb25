"""The ``demo`` source: a deterministic animation that exercises what real engines send.

256-colour and truecolor SGR, bold/inverse/underline, a row of wide characters
(CJK, emoji), a clock, and motion where only a few rows change per frame (a
bouncing ball and a scrolling ticker over static rows), so deltas are
meaningful. Frame ``n`` depends only on (width, height, seed, fps, n): the same
options give the same frames, and the clock shows time at the nominal fps.
"""

from __future__ import annotations

import colorsys
import random
from collections.abc import Iterator

from glyphcast.source import Cue, ResizableSource
from glyphcast.text import cell_width, fit

CSI = "\x1b["
RESET = CSI + "0m"
DIM = CSI + "2m"
TICKER = (
    "glyphcast carries one stream of text frames side by side to browsers, "
    "recordings, terminals and plugins  \u2726  only the rows that change travel  \u2726  "
    "json \u00b7 binary \u00b7 diff codecs over one WebSocket port  \u2726  "
)
WIDE = "\u6f22\u5b57 \u304b\u306a \u30ab\u30bf\u30ab\u30ca \ud55c\uae00  \U0001f680 \u2728 \U0001f389 \U0001f308 \U0001f40d  \uff46\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48"


def rgb(hue: float, saturation: float = 0.75, value: float = 1.0) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(r * 255), round(g * 255), round(b * 255)


def fg(color: tuple[int, int, int]) -> str:
    return f"{CSI}38;2;{color[0]};{color[1]};{color[2]}m"


def bg(color: tuple[int, int, int]) -> str:
    return f"{CSI}48;2;{color[0]};{color[1]};{color[2]}m"


def bounce(position: float, span: int) -> int:
    """Where something moving at constant speed sits after bouncing between 0 and ``span``."""
    if span <= 0:
        return 0
    p = position % (2 * span)
    return round(p if p <= span else 2 * span - p)


def clock(frame: int, fps: float) -> str:
    """Elapsed time of frame ``frame`` at ``fps``, as mm:ss.t."""
    tenths = int(frame * 10 / fps) if fps > 0 else 0
    minutes, tenths = divmod(tenths, 600)
    return f"{minutes:02d}:{tenths // 10:02d}.{tenths % 10}"


class DemoSource(ResizableSource):
    """An endless animation ``width`` x ``height`` cells; ``seed`` varies its motion and colours."""

    def __init__(self, width: int = 80, height: int = 24, seed: int = 0, fps: float = 30.0) -> None:
        self.seed = seed
        self.fps = fps
        pick = random.Random(seed)
        self._hue = pick.random()
        self._x0 = pick.uniform(0, 200)
        self._y0 = pick.uniform(0, 50)
        self._vx = pick.uniform(0.6, 1.1)
        self._vy = pick.uniform(0.25, 0.45)
        self._ticker0 = pick.randrange(len(TICKER))
        self.resize(width, height)

    def resize(self, width: int, height: int) -> None:
        """Lay the animation out again at ``width`` x ``height``; frames go on from where they were."""
        if width < 1 or height < 1:
            raise ValueError(f"demo needs at least 1x1 cells, not {width}x{height}")
        self.width = width
        self.height = height
        self._static = self._static_rows()
        self._floor = fit(DIM + "".join("\u00b7" if x % 4 == 0 else " " for x in range(width)) + RESET, width)

    def __iter__(self) -> Iterator[Cue]:
        n = 0
        while True:
            yield Cue(rows=self.frame(n))
            n += 1

    # -- one frame ----------------------------------------------------------
    def frame(self, n: int) -> list[str]:
        """The rows of frame ``n`` (0-based)."""
        top, bottom, footer = self._static
        arena_height = self.height - len(top) - len(bottom) - 3  # title, ticker, footer
        if arena_height < 1:  # too small for the full layout: title, ball, ticker
            arena = self._arena(n, max(self.height - 2, 1))
            rows = [fit(self._title(n), self.width), *arena, fit(self._ticker(n), self.width)]
            return rows[: self.height]
        # Static rows were fitted once; only the rows that move are built and fitted per frame.
        title, ticker = fit(self._title(n), self.width), fit(self._ticker(n), self.width)
        return [title, *top, *self._arena(n, arena_height), *bottom, ticker, footer]

    def _title(self, n: int) -> str:
        accent = rgb(self._hue, 0.55)
        left = f"{bg((36, 40, 52))}{CSI}1m {fg(accent)}\u25c6 glyphcast{CSI}22m{fg((200, 205, 215))} demo "
        right = f"frame {n:06d}  {CSI}1m{clock(n, self.fps)} "
        gap = self.width - cell_width(left) - cell_width(right)
        return left + " " * max(gap, 1) + right + RESET

    def _static_rows(self) -> tuple[list[str], list[str], str]:
        w = self.width
        label = 13
        cells = max(w - label, 1)
        palette = "".join(f"{CSI}48;5;{16 + (i * 216) // cells}m " for i in range(cells))
        greys = "".join(
            f"{CSI}48;2;{v};{v};{v}m " for v in (round(255 * i / max(cells - 1, 1)) for i in range(cells))
        )
        rainbow = "".join(f"{bg(rgb(self._hue + i / cells, 0.8, 0.95))} " for i in range(cells))
        styles = (
            f"{CSI}1mbold{RESET} {CSI}7minverse{RESET} {CSI}4munderline{RESET} {CSI}3mitalic{RESET} "
            f"{DIM}dim{RESET} {CSI}1;38;5;208mbold 256{RESET} {CSI}7m{fg((0, 200, 255))}inverse truecolor{RESET}"
        )
        rule = DIM + "\u2500" * w + RESET
        top = [
            f"{DIM}256 colours{RESET}  {palette}{RESET}",
            f"{DIM}truecolor{RESET}    {rainbow}{RESET}",
            f"{DIM}grey ramp{RESET}    {greys}{RESET}",
            f"{DIM}styles{RESET}       {styles}",
            f"{DIM}wide{RESET}         {WIDE}",
            rule,
        ]
        bottom = [rule]
        footer = f"{DIM}seed {self.seed} \u00b7 {w}x{self.height} \u00b7 glyphcast run --help{RESET}"
        return [fit(r, w) for r in top], [fit(r, w) for r in bottom], fit(footer, w)

    def _arena(self, n: int, height: int) -> list[str]:
        """The bouncing ball over a dotted floor; only the rows the ball (and its trail) touch change."""
        w = self.width
        rows = [self._floor] * height
        trail = [(n - k, k) for k in (3, 2, 1, 0) if n - k >= 0]
        marks: dict[int, list[tuple[int, str]]] = {}
        for step, age in trail:
            x = bounce(self._x0 + self._vx * step, w - 1)
            y = bounce(self._y0 + self._vy * step, height - 1)
            color = rgb(self._hue + step / 240, 0.8, 1.0 - age * 0.22)
            glyph = "\u25cf" if age == 0 else "\u2022"
            marks.setdefault(y, []).append((x, f"{fg(color)}{CSI}1m{glyph}{RESET}"))
        for y, placed in marks.items():
            cells = [("\u00b7" if x % 4 == 0 else " ") for x in range(w)]
            styled = [f"{DIM}{c}{RESET}" if c != " " else c for c in cells]
            for x, glyph in placed:
                styled[x] = glyph
            rows[y] = fit("".join(styled), w)
        return rows

    def _ticker(self, n: int) -> str:
        text = TICKER * (2 + self.width // len(TICKER))
        start = (self._ticker0 + n) % len(TICKER)
        return f"{fg(rgb(self._hue + 0.5, 0.45))}{text[start : start + self.width]}{RESET}"


def open_demo(width: int = 80, height: int = 24, seed: int = 0, fps: float = 30.0) -> DemoSource:
    """The ``demo`` source's factory (``--source demo:seed=7``); ``fps`` sets the clock's pace."""
    return DemoSource(width, height, seed, fps)
