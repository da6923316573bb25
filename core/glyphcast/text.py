"""Rows that carry ANSI escape sequences: their width in cells, and what of them is safe to show.

Rows that come from outside the process (a Redis stream, a replayed
recording, a program's screen) pass through :func:`clean_row` before any
display has them: text and SGR (colours, styles) only, and a bounded length.

The patterns that recognise escape sequences (:data:`SGR`, :data:`ESCAPE`,
:data:`ANY_ESCAPE`) are declared here and nowhere else: import them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from wcwidth import wcwidth

# The escape-sequence patterns of glyphcast, each declared here once (tests/core/test_escape_patterns.py
# finds any other). Escape sequences occupy no cells.

#: One SGR sequence (colours and styles: ``ESC [`` parameters ``m``), the only escape a clean row keeps.
SGR = re.compile(r"\x1b\[[0-9;:]*m")
#: One complete escape sequence, as a terminal reads it: a CSI (SGR, cursor moves, erases, modes);
#: a control string (OSC titles and hyperlinks, DCS, SOS, PM, APC) up to and with its terminator;
#: any other escape (``ESC 7``, ``ESC ( B``, ``ESC c``).
ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b[P\]X^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b(?:[ -/]+[0-~]|[0-OQ-WYZ\\`-~])"
)
#: An escape sequence as :data:`ESCAPE` has it, or as far as it goes when the text ends (or the next
#: ESC starts) before it does; or a lone ESC. For taking escapes out of text from outside, whole.
ANY_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[P\]X^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
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


# -- what of a row from outside may reach a terminal ----------------------------------
#: Characters no row needs: C0 controls (ESC aside: it starts SGR), DEL, C1 controls
#: (U+009B is CSI, U+009D OSC to terminals that take 8-bit controls), the invisible
#: bidirectional controls, which make text read in another order than it is written,
#: and lone surrogates (which no encoder downstream takes).
_UNSAFE_CHARS = "\x00-\x1a\x1c-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(f"[{_UNSAFE_CHARS}]")
#: Deleted from an ASCII row's bytes to see what is left to look at.
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))
#: Deleted from a row's bytes, they turn every SGR into ``ESC [ m``.
_SGR_PARAMETERS = b"0123456789;:"
#: A row's pieces that are not text: group 1 is an SGR (kept), the rest (every other escape, as far
#: as it goes, and the unsafe characters) is dropped.
_NOT_TEXT = re.compile(f"({SGR.pattern})|{ANY_ESCAPE.pattern}|[{_UNSAFE_CHARS}]")
#: Characters a row may hold per cell of its width: the longest SGR a cell can need
#: (bold, faint, italic, underline, blink, inverse, strikethrough, truecolor foreground
#: and background is 52) plus the cell's character, with room to spare.
ROW_CHARS_PER_CELL = 64


def max_row_chars(width: int) -> int:
    """The most characters a row ``width`` cells wide keeps (:func:`clean_row` cuts the rest)."""
    return ROW_CHARS_PER_CELL * max(width, 1)


def is_clean(row: str) -> bool:
    """Whether ``row`` holds only text and SGR sequences.

    Fast, because it runs for every row of every frame on an edge: C loops, no
    regex over an ASCII row. Without its printable ASCII an ASCII row must be
    nothing but ESCs; without SGR's parameter bytes every SGR reads ``ESC [ m``,
    so each ESC must be followed by ``[m``.
    """
    if row.isascii():
        data = row.encode("ascii")
        rest = data.translate(None, _PRINTABLE_ASCII)
        if not rest:
            return True
        escapes = rest.count(b"\x1b")
        return escapes == len(rest) and data.translate(None, _SGR_PARAMETERS).count(b"\x1b[m") == escapes
    if _UNSAFE.search(row):
        return False
    escapes = row.count("\x1b")
    return not escapes or row.encode("utf-8").translate(None, _SGR_PARAMETERS).count(b"\x1b[m") == escapes


def _sgr_only(match: re.Match[str]) -> str:
    return match.group(1) or ""


def clean_row(row: str, width: int) -> str:
    """``row`` with only text and SGR sequences, cut to :func:`max_row_chars` of ``width``.

    For rows from outside the process, before any display has them: every other
    escape sequence (OSC titles and clipboard writes, terminal queries whose
    answers come back as keystrokes, cursor moves, DCS strings), every control
    character and the bidirectional controls are dropped. A row that is already
    clean (most, coloured or not) is returned as it is (:func:`is_clean`).
    """
    limit = max_row_chars(width)
    if len(row) > limit:
        row = row[
            :limit
        ]  # cut first: a huge row is not worth scanning, and a sequence cut here is dropped below
    elif is_clean(row):
        return row
    return _NOT_TEXT.sub(_sgr_only, row)


def clean_text(text: str, limit: int) -> str:
    """``text`` as plain text, for a label or a reason from outside: no escape
    sequences (not even SGR), no control characters, at most ``limit`` characters."""
    return _NOT_TEXT.sub("", text[: 4 * limit])[:limit]


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
