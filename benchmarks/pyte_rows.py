"""The benchmark's baseline: pyte with the row rendering replay used before glyphcast.vt.

This is plugins/glyphcast-record/glyphcast_record/terminal.py as it was removed
(commit 8f77ca7 removed it; shown by ``git show 8f77ca7^:plugins/glyphcast-record/glyphcast_record/terminal.py``),
kept here only so benchmarks/emulator.py measures the old path exactly: pyte's
feed, then the dirty lines rendered as rows with SGR.
"""

from __future__ import annotations

import pyte
from pyte import graphics
from pyte.screens import Char

RESET = "\x1b[0m"
DEFAULT = Char(" ")

# pyte names the 16 colours ("red", "brown", "brightblue", and one misspelt
# "bfightmagenta"); map its own tables back so every name it can produce has a code.
_FG_CODE = {
    name: code for code, name in (graphics.FG_ANSI | graphics.FG_AIXTERM).items() if name != "default"
}
_BG_CODE = {
    name: code for code, name in (graphics.BG_ANSI | graphics.BG_AIXTERM).items() if name != "default"
}
# pyte stores 256-colour indexes as hex; colours 16..255 go back to their index (shorter,
# and right on terminals without truecolor). 0..15 are theme colours: keep those as hex.
_INDEX_256 = {hexa: index for index, hexa in enumerate(graphics.FG_BG_256) if index >= 16}
_STYLES = (("bold", 1), ("italics", 3), ("underscore", 4), ("blink", 5), ("reverse", 7), ("strikethrough", 9))


def _colour(value: str, names: dict[str, int], extended: int) -> str | None:
    if value == "default":
        return None
    if value in names:
        return str(names[value])
    if value in _INDEX_256:
        return f"{extended};5;{_INDEX_256[value]}"
    if len(value) == 6:
        try:
            red, green, blue = (int(value[i : i + 2], 16) for i in (0, 2, 4))
        except ValueError:
            return None
        return f"{extended};2;{red};{green};{blue}"
    return None


def sgr(cell: Char) -> str:
    """The SGR sequence that sets exactly ``cell``'s colours and style (starting from a reset)."""
    codes = ["0"]
    codes += [str(code) for attr, code in _STYLES if getattr(cell, attr)]
    fg = _colour(cell.fg, _FG_CODE, 38)
    bg = _colour(cell.bg, _BG_CODE, 48)
    codes += [c for c in (fg, bg) if c is not None]
    return f"\x1b[{';'.join(codes)}m"


def _style(cell: Char) -> tuple[object, ...]:
    return tuple(cell[1:])


_DEFAULT_STYLE = _style(DEFAULT)


def render_line(line: dict[int, Char], columns: int) -> str:
    """One screen line as a row: text with SGR codes, trailing default blanks dropped.

    pyte keeps a wide character in its first cell and ``""`` in the second; the
    second is skipped so the character is counted once.
    """
    end = columns
    while end > 0 and line[end - 1] == DEFAULT:
        end -= 1
    out: list[str] = []
    current = _DEFAULT_STYLE
    for x in range(end):
        cell = line[x]
        if cell.data == "":
            continue
        style = _style(cell)
        if style != current:
            out.append(RESET if style == _DEFAULT_STYLE else sgr(cell))
            current = style
        out.append(cell.data)
    if current != _DEFAULT_STYLE:
        out.append(RESET)
    return "".join(out)


class PyteRows:
    """A ``width`` x ``height`` pyte screen; ``write(text)`` feeds it and returns the rows."""

    def __init__(self, width: int, height: int) -> None:
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.Stream(self.screen)
        self._rows = [""] * height

    def write(self, text: str) -> tuple[str, ...]:
        self.stream.feed(text)
        screen = self.screen
        for y in screen.dirty:
            if 0 <= y < screen.lines:
                self._rows[y] = render_line(screen.buffer[y], screen.columns)
        screen.dirty.clear()
        return tuple(self._rows)
