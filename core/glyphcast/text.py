"""Cell-width arithmetic for rows that carry ANSI escape sequences."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from wcwidth import wcwidth

# CSI (colours, cursor moves) and OSC (titles, hyperlinks) sequences occupy no cells.
ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
RESET = "\x1b[0m"


def tokens(row: str) -> Iterator[tuple[str, bool]]:
    """Split a row into (text, is_escape) pieces."""
    pos = 0
    for match in ESCAPE.finditer(row):
        if match.start() > pos:
            yield row[pos : match.start()], False
        yield match.group(), True
        pos = match.end()
    if pos < len(row):
        yield row[pos:], False


@lru_cache(maxsize=4096)  # a row repeats the same few non-ASCII characters (dots, box drawing, CJK)
def char_cells(char: str) -> int:
    return max(wcwidth(char), 0)


#: Characters that are not printable ASCII: the only ones whose width is not one cell.
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")


def cell_width(row: str) -> int:
    """How many terminal cells ``row`` occupies, ignoring escape sequences.

    Printable ASCII is one cell each, so only the other characters are looked
    up: rows are measured on every paint, and most of a row is ASCII.
    """
    plain = ESCAPE.sub("", row)
    others = _NOT_PRINTABLE_ASCII.findall(plain)
    return len(plain) + sum(map(char_cells, others)) - len(others) if others else len(plain)


def strip_ansi(row: str) -> str:
    return ESCAPE.sub("", row)


def fit(row: str, width: int) -> str:
    """Cut or pad ``row`` to exactly ``width`` cells, keeping its escape sequences.

    A wide character that would straddle the edge is replaced by a space, as a
    terminal would leave that cell.
    """
    out: list[str] = []
    used = 0
    styled = False
    for text, escape in tokens(row):
        if escape:
            out.append(text)
            styled = True
            continue
        for char in text:
            cells = char_cells(char)
            if used + cells > width:
                out.append(" " * (width - used))
                used = width
                break
            out.append(char)
            used += cells
        if used >= width:
            break
    if used < width:
        out.append(" " * (width - used))
    if styled:
        out.append(RESET)
    return "".join(out)
