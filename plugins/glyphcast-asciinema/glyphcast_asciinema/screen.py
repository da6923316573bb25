"""The terminal text that puts a frame on an asciinema player's screen (sans-I/O).

Rows are painted by glyphcast's one painter, :func:`glyphcast.paint.paint_rows`
(each row positioned absolutely, cut to the width, reset and erased to the end),
exactly as ``record`` writes them into asciicast files. After the rows, the
cursor: moved to the frame's cursor and shown, or hidden when the frame has
none (an engine's frames never do).
"""

from __future__ import annotations

from glyphcast import Frame
from glyphcast.paint import CLEAR_SCREEN, CSI, HIDE_CURSOR, SHOW_CURSOR, paint_rows


def cursor(frame: Frame) -> str:
    """Show the cursor where ``frame`` has it (clamped to the screen), or hide it."""
    if frame.cursor is None:
        return HIDE_CURSOR
    col, row = frame.cursor
    col = min(max(col, 0), frame.width - 1)
    row = min(max(row, 0), frame.height - 1)
    return f"{CSI}{row + 1};{col + 1}H{SHOW_CURSOR}"


def full(frame: Frame) -> str:
    """The whole frame on any screen of its size: clear, every non-empty row, the cursor."""
    rows = ((index, row) for index, row in enumerate(frame.rows) if row)
    return CLEAR_SCREEN + paint_rows(rows, frame.width) + cursor(frame)


def changes(frame: Frame, base: Frame) -> str:
    """What turns a screen showing ``base`` (same size) into ``frame``: exactly the rows that differ."""
    return paint_rows(
        ((index, frame.rows[index]) for index in frame.changed_rows(base)), frame.width
    ) + cursor(frame)
