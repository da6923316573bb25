"""Painting frame rows on a terminal screen with ANSI escape sequences: rows in, text out, no I/O.

The one row painter on glyphcast's Python side: the ``terminal`` display and
glyphcast-record's asciicast writer both paint with :func:`paint_rows`, so a
row looks the same on a terminal and in a recording; :func:`paint_cursor` puts a
terminal program's cursor back where the program left it. (The browser viewer
paints with xterm.js, in ``client/src/screen.js``.)
"""

from __future__ import annotations

from collections.abc import Iterable

from glyphcast.text import cell_width, clean_row, fit

CSI = "\x1b["
#: Reset colours and styles.
RESET = CSI + "0m"
#: Erase from the cursor to the end of the line (with the current, reset, background).
ERASE_TO_END = CSI + "K"
#: Blank the screen and home the cursor; the style is reset first so the erase uses the default background.
CLEAR_SCREEN = RESET + CSI + "H" + CSI + "2J"
#: Hide and show the cursor (DECTCEM).
HIDE_CURSOR = CSI + "?25l"
SHOW_CURSOR = CSI + "?25h"


def paint_rows(rows: Iterable[tuple[int, str]], width: int, columns: int | None = None) -> str:
    """The escape sequences that paint each ``(index, row)`` on line ``index`` (0-based) of a screen.

    ``width`` is how many cells a row may take and ``columns`` the screen's width
    (``width`` if not given; a frame narrower than the terminal has
    ``width < columns``). Each row:

    - is positioned absolutely (``CSI line;1H``), so a lost or reordered row never
      shifts the others;
    - is cut to ``width`` cells, because a terminal would wrap a longer row over
      the next line (a wide character straddling the edge becomes a space);
    - ends with ``CSI 0m`` then ``CSI K``: reset the style, then erase what an
      older, longer row (or anything right of the frame) left on the line. A row
      that reaches the screen's last column skips the erase: the cursor then
      waits on that column and ``CSI K`` would erase its cell;
    - carries text and SGR only (:func:`glyphcast.text.clean_row`): a row is
      text and colours, and any other escape sequence would act on the terminal
      (a title, the clipboard, a query answered as keystrokes) or move the cursor
      off the row. Sources from outside clean their rows already; this holds for
      every row that reaches a terminal or a recording, whatever its source.
    """
    screen = width if columns is None else columns
    out: list[str] = []
    for index, row in rows:
        row = clean_row(row, width)
        cells = cell_width(row)
        if cells > width:
            row, cells = fit(row, width), width
        out.append(f"{CSI}{index + 1};1H{row}{RESET}")
        if cells < screen:
            out.append(ERASE_TO_END)
    return "".join(out)


def paint_cursor(cursor: tuple[int, int] | None) -> str:
    """The escape sequences that leave the cursor where a frame has it: ``CSI row;col H`` and
    ``CSI ?25h`` for ``(col, row)`` (0-based), or ``CSI ?25l`` for None (the program hid it).

    Painting rows moves the cursor to the end of the last row painted; a
    terminal program's frame ends with this so that its cursor is back where the
    program left it.
    """
    if cursor is None:
        return HIDE_CURSOR
    col, row = cursor
    return f"{CSI}{row + 1};{col + 1}H{SHOW_CURSOR}"
