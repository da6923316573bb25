"""Terminal output to frames: the one adapter around a real VT emulator.

Replay, the pty source and anything else that turns what a program writes to
a terminal into glyphcast rows goes through :class:`Screen`. The emulator is
asciinema's own, ``avt`` (Rust), through the ``pyavt`` binding: chosen by
measurement (benchmarks/emulator.py) over pyte, which has no alternate screen
(vim and less sessions ended on the wrong screen) and fed about 60 times
slower. It handles scroll regions, wide characters, 256 colours and truecolor,
and reports which lines each write changed, so only those are re-rendered.

Needs the ``vt`` extra (``pip install 'glyphcast[vt]'``).
"""

from __future__ import annotations

import avt

Cursor = tuple[int, int]
"""(col, row), 0-based, as the wire protocol's ``cursor``."""

RESET = "\x1b[0m"

# SGR codes of the pen's flags, in the order terminals print them.
_FLAGS = (("bold", "1"), ("faint", "2"), ("italic", "3"), ("underline", "4"),
          ("blink", "5"), ("inverse", "7"), ("strikethrough", "9"))


def _colour(colour: avt.Color | None, base: int, bright: int, extended: int) -> str | None:
    """SGR parameters for one colour: 30-37/90-97 style for the 16 theme colours, else 5;N or 2;R;G;B."""
    if colour is None:
        return None
    if isinstance(colour, avt.Color.Indexed):
        index = colour[0]
        if index < 8:
            return str(base + index)
        if index < 16:
            return str(bright + index - 8)
        return f"{extended};5;{index}"
    if isinstance(colour, avt.Color.RGB):
        return f"{extended};2;{colour[0]};{colour[1]};{colour[2]}"
    raise TypeError(f"unknown avt colour {colour!r}")


def sgr(pen: avt.Pen) -> str:
    """The SGR sequence that sets exactly ``pen`` (starting from a reset)."""
    codes = ["0"]
    codes += [code for flag, code in _FLAGS if getattr(pen, flag)]
    codes += [c for c in (_colour(pen.foreground, 30, 90, 38), _colour(pen.background, 40, 100, 48)) if c]
    return f"\x1b[{';'.join(codes)}m"


def _blank(cell: avt.Cell) -> bool:
    """A space that shows nothing: no background, nothing drawn across it (a foreground colour alone is invisible)."""
    if cell.char != " ":
        return False
    pen = cell.pen
    return pen.background is None and not (pen.inverse or pen.underline or pen.strikethrough)


def render_line(line: avt.Line) -> str:
    """One screen line as a row: text with SGR codes, trailing blanks dropped.

    A wide character fills two cells; avt puts it in the first and a width-0
    cell after it, which is skipped so the character is written once.
    """
    cells = line.cells
    end = len(cells)
    while end > 0 and _blank(cells[end - 1]):
        end -= 1
    out: list[str] = []
    pen: avt.Pen | None = None  # the pen in effect; None = the default (nothing written yet)
    for cell in cells[:end]:
        if cell.width == 0:
            continue
        cell_pen = cell.pen
        if pen is None:
            if not cell_pen.is_default():
                out.append(sgr(cell_pen))
                pen = cell_pen
        elif cell_pen != pen:
            default = cell_pen.is_default()
            out.append(RESET if default else sgr(cell_pen))
            pen = None if default else cell_pen
        out.append(cell.char)
    if pen is not None:
        out.append(RESET)
    return "".join(out)


class Screen:
    """A ``width`` x ``height`` terminal fed with a program's output; ``snapshot()`` is what it shows.

    Keeps no scrollback (memory stays bounded whatever the program writes) and
    re-renders only the lines the emulator reports changed.
    """

    def __init__(self, width: int, height: int) -> None:
        self._vt = avt.Vt(width, height, scrollback_limit=0)
        self._rows = [""] * height
        self._dirty: set[int] = set(range(height))
        self._shown_cursor: Cursor | None = None
        self._fresh = True  # nothing taken yet: the first snapshot is a change

    @property
    def size(self) -> tuple[int, int]:
        return self._vt.size

    @property
    def width(self) -> int:
        return self._vt.size[0]

    @property
    def height(self) -> int:
        return self._vt.size[1]

    def feed(self, text: str) -> None:
        """Interpret ``text`` (the program's output, decoded) as a terminal would."""
        changed, _scrolled_off = self._vt.feed_str(text)
        self._dirty.update(changed)

    def resize(self, width: int, height: int) -> None:
        """Resize as asciinema's terminal does (what the player shows for a resize event)."""
        if (width, height) == self.size:
            return
        self._vt.resize(width, height)
        self._rows = [""] * height
        self._dirty = set(range(height))

    @property
    def cursor(self) -> Cursor | None:
        """Where the cursor is, (col, row); None while the program hides it."""
        cursor = self._vt.cursor
        if not cursor.visible:
            return None
        width, height = self.size
        # After writing the last column the cursor waits past it (pending wrap): show it on the last cell.
        return (min(cursor.col, width - 1), min(cursor.row, height - 1))

    @property
    def changed(self) -> bool:
        """Whether a snapshot now would differ from the last one (rows or cursor)."""
        return self._fresh or bool(self._dirty) or self.cursor != self._shown_cursor

    def rows(self) -> tuple[str, ...]:
        """The screen as rows, re-rendering only the lines changed since the last call."""
        if self._dirty:
            view = self._vt.view()
            for index in self._dirty:
                if 0 <= index < len(self._rows):
                    self._rows[index] = render_line(view[index])
            self._dirty.clear()
        return tuple(self._rows)

    def snapshot(self) -> tuple[tuple[str, ...], Cursor | None]:
        """(rows, cursor) as shown now; ``changed`` is False until the next output."""
        self._fresh = False
        self._shown_cursor = self.cursor
        return self.rows(), self._shown_cursor

    def text(self) -> list[str]:
        """The screen's plain text, one string per row, trailing blanks dropped (for tests and checks)."""
        return [line.text.rstrip() for line in self._vt.view()]
