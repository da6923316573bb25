"""A terminal emulator (pyte) that takes a recording's output and gives back glyphcast rows.

pyte interprets every escape sequence; this module only turns its cells back
into rows: the text plus the SGR codes that reproduce each cell's colour and
style. Rows are rebuilt only for lines pyte marks dirty.
"""

from __future__ import annotations

import pyte
from pyte import graphics
from pyte.screens import Char

RESET = "\x1b[0m"
DEFAULT = Char(" ")

# pyte names the 16 colours ("red", "brown", "brightblue", and one misspelt
# "bfightmagenta"); map its own tables back so every name it can produce has a code.
_FG_CODE = {name: code for code, name in (graphics.FG_ANSI | graphics.FG_AIXTERM).items() if name != "default"}
_BG_CODE = {name: code for code, name in (graphics.BG_ANSI | graphics.BG_AIXTERM).items() if name != "default"}
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


class Terminal:
    """A ``width`` x ``height`` pyte screen fed with output; ``rows()`` is what it shows."""

    def __init__(self, width: int, height: int) -> None:
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.Stream(self.screen)
        self._rows = [""] * height

    @property
    def size(self) -> tuple[int, int]:
        return (self.screen.columns, self.screen.lines)

    def feed(self, data: str) -> None:
        self.stream.feed(data)

    def resize(self, width: int, height: int) -> None:
        """Resize as terminals do: fewer lines drop from the bottom, unless the cursor would fall off.

        pyte alone drops lines from the top, which loses what a recording wrote
        at the top of a screen that then shrank (asciinema-player keeps it).
        """
        screen = self.screen
        if height < screen.lines:
            drop = max(0, screen.cursor.y - (height - 1))
            buffer = screen.buffer
            for y in range(height):
                if y + drop in buffer:
                    buffer[y] = buffer[y + drop]
                else:
                    buffer.pop(y, None)
            for y in range(height, screen.lines):
                buffer.pop(y, None)
            screen.cursor.y -= drop
            screen.lines = height  # so pyte's resize below changes only the columns
        screen.resize(lines=height, columns=width)
        screen.set_margins()
        self._rows = [""] * height
        screen.dirty.update(range(height))

    def reset(self, width: int, height: int) -> None:
        """A blank screen of this size, as at the start of a recording."""
        self.screen.reset()
        self.resize(width, height)

    def rows(self) -> tuple[str, ...]:
        """The screen as rows, re-rendering only the lines changed since the last call."""
        screen = self.screen
        for y in screen.dirty:
            if 0 <= y < screen.lines:
                self._rows[y] = render_line(screen.buffer[y], screen.columns)
        screen.dirty.clear()
        return tuple(self._rows)
