"""A minimal render engine: it draws frames and glyphcast carries them to the displays named on the command line.

python examples/engine.py                      # the terminal
python examples/engine.py terminal record:path=wave.cast
"""

import math
import sys
import time

from glyphcast import open_displays

WIDTH, HEIGHT, FRAMES, FPS = 60, 12, 60, 30


def render(t: int) -> list[str]:
    """One frame: a sine wave drifting right, coloured by height."""
    rows = [[" "] * WIDTH for _ in range(HEIGHT)]
    for x in range(WIDTH):
        y = round((HEIGHT - 1) / 2 * (1 + math.sin((x + t) / 6)))
        rows[y][x] = f"\x1b[38;5;{196 + y % 6}m*\x1b[0m"
    return ["".join(row) for row in rows]


def main() -> None:
    with open_displays(sys.argv[1:] or ["terminal"]) as displays:
        displays.init(WIDTH, HEIGHT)
        for t in range(FRAMES):
            displays.show(render(t))  # returns at once: each display does its I/O on its own
            time.sleep(1 / FPS)


if __name__ == "__main__":
    main()
