"""Terminal output to frames: the one adapter around a real VT emulator.

Replay, the pty source and anything else that turns what a program writes to
a terminal into glyphcast rows goes through :class:`Screen`. The emulator is
asciinema's own, ``avt`` (Rust), through the ``pyavt`` binding: chosen by
measurement (``python -m benchmarks --emulator``) over pyte, which has no
alternate screen (vim and less sessions ended on the wrong screen) and
interprets output 20-100 times slower. It handles the alternate screen, scroll
regions, wide characters, 256 colours and truecolor; only lines that changed
are rendered as rows again. Checked against tmux (tests/core/test_vt.py,
tests/record/test_replay_screens.py).

Needs the ``vt`` extra (``pip install 'glyphcast[vt]'``).
"""

from __future__ import annotations

import functools
import re
import unicodedata

import avt
from wcwidth import wcwidth

from glyphcast.protocol import MAX_SIDE
from glyphcast.text import ANY_ESCAPE, SGR, clean_row

Cursor = tuple[int, int]
"""(col, row), 0-based, as the wire protocol's ``cursor``."""

RESET = "\x1b[0m"
#: Characters fed to the emulator per call (see :meth:`Screen.feed`).
FEED_SIZE = 8 * 1024

# SGR codes of the pen's flags, in the order terminals print them.
_FLAGS = (
    ("bold", "1"),
    ("faint", "2"),
    ("italic", "3"),
    ("underline", "4"),
    ("blink", "5"),
    ("inverse", "7"),
    ("strikethrough", "9"),
)


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
    if cell.is_default():  # most trailing cells: one call into avt instead of six
        return True
    if cell.char != " ":
        return False
    pen = cell.pen
    return pen.background is None and not (pen.inverse or pen.underline or pen.strikethrough)


# -- characters drawn on the one before them --------------------------------------
# avt gives every code point a cell of its own, even those a terminal draws on the
# character before them (combining accents, the joiner in emoji sequences,
# variation selectors): after "e" U+0301 "x" the x would sit one column right of
# where terminals put it, and so would everything the program later places on that
# line. So Screen.feed hands avt each such cluster as ONE character: its composed
# form when Unicode has one ("é"), else a stand-in from the Supplementary Private
# Use Area-B (nothing uses it) that rows render back as the cluster. A cluster is
# as wide as its first character (what tmux does); a wide one is a stand-in plus
# _SECOND_HALF. An accent with no letter right before it in the same write (at the
# start, after a control or an escape sequence) is dropped, as tmux mostly does.
_STANDINS = range(0x100000, 0x10FFFD)
_SECOND_HALF = "\U0010fffd"
_FIRST_STANDIN = chr(_STANDINS.start)
_MAX_CLUSTER = 16  # code points kept per cluster (tmux keeps a few more bytes); the rest are dropped

_PRINTABLE = r"[^\x00-\x1f\x7f-\x9f]"


@functools.cache
def _zero_width() -> str:
    """The characters terminals draw on the previous cell (wcwidth says 0), as the inside of a regex class.

    Those of the Basic Multilingual Plane, plus tags and variation selectors
    (U+E0000-E0FFF, in emoji flags): BMP characters make a bitmap for re, which
    is fast; the combining marks of historic scripts above it would make re walk
    a long list of ranges for every character, and are left as avt takes them.
    """

    def zero(code: int) -> bool:
        ch = chr(code)
        joins = (
            unicodedata.category(ch) in ("Mn", "Me", "Cf")
            or 0x1160 <= code <= 0x11FF
            or 0xD7B0 <= code <= 0xD7FF
        )
        return joins and wcwidth(ch) == 0

    spans: list[list[int]] = []
    for code in filter(zero, range(0x300, 0x10000)):
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])
    return "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in spans) + "\U000e0000-\U000e0fff"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(anything to fold?, escape sequences to split on, one cluster), compiled on first non-ASCII output."""
    zero = _zero_width()
    standins = f"{_FIRST_STANDIN}-{_SECOND_HALF}"
    needs = re.compile(f"[{zero}{standins}]")
    # Escape sequences are set aside whole, so their last character is never taken for a letter with an accent.
    escapes = re.compile(f"({ANY_ESCAPE.pattern})")
    cluster = re.compile(f"([{standins}])|({_PRINTABLE}?)((?:[{zero}]|(?<=\u200d){_PRINTABLE})+)")
    return needs, escapes, cluster


class _Clusters:
    """Stand-ins for clusters avt cannot hold in one cell; bounded (later clusters lose their marks)."""

    def __init__(self) -> None:
        self._standin: dict[str, str] = {}
        self.cluster: dict[str, str] = {}

    def fold(self, text: str) -> str:
        """``text`` with each cluster as one character (or a stand-in and _SECOND_HALF)."""
        if text.isascii():
            return text
        needs, escapes, cluster = _patterns()
        if not needs.search(text):
            return text
        parts = escapes.split(text)  # text, escape sequence, text, ..., text
        for index in range(0, len(parts), 2):
            if needs.search(parts[index]):
                parts[index] = cluster.sub(self._one, parts[index])
        return "".join(parts)

    def _one(self, match: re.Match[str]) -> str:
        foreign, base, marks = match.groups()
        if foreign:  # the program's own use of our stand-ins: it cannot mean what we mean
            return "\ufffd"
        if not base:
            return ""
        cluster = (base + marks)[:_MAX_CLUSTER]
        composed = unicodedata.normalize("NFC", cluster)
        if len(composed) == 1:
            return composed
        standin = self._standin.get(cluster)
        if standin is None:
            if len(self._standin) == len(_STANDINS):
                return base
            standin = chr(_STANDINS[len(self._standin)])
            self._standin[cluster] = standin
            self.cluster[standin] = cluster
        return standin + _SECOND_HALF if wcwidth(base) == 2 else standin


def render_line(line: avt.Line, clusters: dict[str, str] | None = None) -> str:
    """One screen line as a row: text with SGR codes, trailing blanks dropped.

    A wide character fills two cells; avt puts it in the first and a width-0
    cell after it, which is skipped so the character is written once.
    ``clusters`` turns stand-ins back into what the program wrote.
    """
    cells = line.cells
    end = len(cells)
    while end > 0 and _blank(cells[end - 1]):
        end -= 1
    # line.text is one call where cell.char is one per cell; it skips the width-0 halves
    # of wide characters, so it lines up with the cells only on a line without them.
    text = line.text
    chars = text if len(text) == len(cells) else None
    out: list[str] = []
    append = out.append  # this loop runs for every cell of every changed line
    pen: avt.Pen | None = None  # the pen in effect; None = the default (nothing written yet)
    previous = ""
    for x in range(end):
        cell = cells[x]
        if chars is not None:
            char = raw = chars[x]
        elif cell.width == 0:
            continue
        else:
            char = raw = cell.char
        if clusters and raw >= _FIRST_STANDIN:
            if raw == _SECOND_HALF:
                # The right half of a wide cluster: drawn by the left one, unless that was overwritten.
                char = "" if previous in clusters and wcwidth(clusters[previous][0]) == 2 else " "
            else:
                char = clusters.get(raw, raw)
        previous = raw
        cell_pen = cell.pen
        if pen is None:
            if not cell_pen.is_default():
                append(sgr(cell_pen))
                pen = cell_pen
        elif cell_pen != pen:
            default = cell_pen.is_default()
            append(RESET if default else sgr(cell_pen))
            pen = None if default else cell_pen
        append(char)
    if pen is not None:
        append(RESET)
    return "".join(out)


class Screen:
    """A ``width`` x ``height`` terminal fed with a program's output; ``snapshot()`` is what it shows.

    Keeps no scrollback (memory stays bounded whatever the program writes) and
    renders only the lines that changed.
    """

    def __init__(self, width: int, height: int) -> None:
        _check_size(width, height)
        self._vt = avt.Vt(width, height, scrollback_limit=0)
        self._vt.feed_str(
            ""
        )  # takes avt's "every line changed" of a new terminal, or the first write would report it
        self._clusters = _Clusters()
        self._lines: list[avt.Line | None]  # the line each row was rendered from; None = not yet
        self._rows: list[str]
        self._stale: bool  # avt reported a change since the rows were last rendered
        self._blank(height)
        self._shown: tuple[tuple[str, ...], Cursor | None] | None = (
            None  # the last snapshot; None before the first
        )

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in cells."""
        return self._vt.size

    @property
    def width(self) -> int:
        return self._vt.size[0]

    @property
    def height(self) -> int:
        return self._vt.size[1]

    def feed(self, text: str) -> None:
        """Interpret ``text`` (the program's output, decoded) as a terminal would.

        Decode with an incremental UTF-8 decoder so a character split across
        reads arrives whole. An accent that arrives in a later call than its
        letter is dropped (avt has already placed the letter). A lone surrogate
        (a recording's JSON can hold ``"\\ud800"``) is shown as U+FFFD.
        """
        text = self._clusters.fold(text)  # each cluster is one character now: any cut is safe
        feed = self._vt.feed_str
        for start in range(0, len(text), FEED_SIZE):
            # avt returns every line scrolled off in one call: 8 K characters at a time keeps
            # that small whatever the program wrote (1 MB in one call peaked at 650 MB).
            piece = text[start : start + FEED_SIZE]
            try:
                changed, _scrolled_off = feed(piece)
            except UnicodeEncodeError:  # raised before avt sees anything, so feeding it again is safe
                changed, _scrolled_off = feed(_SURROGATE.sub("\ufffd", piece))
            self._stale = self._stale or bool(changed)

    def resize(self, width: int, height: int) -> None:
        """Resize as asciinema's terminal does (what the player shows for a resize event): lines
        rewrap to the new width; a shorter screen keeps its top lines unless the cursor would fall off."""
        _check_size(width, height)
        if (width, height) == self.size:
            return
        self._vt.resize(width, height)
        self._blank(height)

    def _blank(self, height: int) -> None:
        """Nothing rendered yet."""
        self._lines = [None] * height
        self._rows = [""] * height
        self._stale = True

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
        """Whether a snapshot now would differ from the last one (rows or cursor).

        Exact: a line rewritten with what it already showed is no change (the
        changed lines are rendered here, once, for the snapshot to reuse).
        """
        if self._shown is None:
            return True
        rows, cursor = self._shown
        return self.cursor != cursor or (self._stale and self.rows() != rows)

    def rows(self) -> tuple[str, ...]:
        """The screen as rows, rendering only the lines that changed since the last call.

        Which lines changed is asked of each line (one comparison in avt), not
        taken from the lines avt reports: a wide character that wraps changes the
        line it leaves (its last cell takes the background) and avt reports only
        the next one. A changed line equal to one already rendered (it scrolled)
        reuses that row: rendering a line is a call into avt per cell.
        """
        if self._stale:
            rendered = {
                line.text: (line, row) for line, row in zip(self._lines, self._rows, strict=True) if line
            }
            width = self.width
            for index, before in enumerate(self._lines):
                # vt[index] is the screen's line: with no scrollback, avt's lines are the screen's.
                line = self._vt[index]
                if line == before:
                    continue
                seen = rendered.get(line.text)
                if seen is not None and seen[0] == line:
                    row = seen[1]
                else:
                    # A cell holds whatever the program wrote that avt took for a character (DEL, bidi
                    # controls): the row keeps text and SGR only, as rows from any outside source do.
                    row = clean_row(render_line(line, self._clusters.cluster), width)
                self._lines[index], self._rows[index] = line, row
            self._stale = False
        return tuple(self._rows)

    def snapshot(self) -> tuple[tuple[str, ...], Cursor | None]:
        """(rows, cursor) as shown now; ``changed`` is False until the next output changes either."""
        self._shown = (self.rows(), self.cursor)
        return self._shown

    def text(self) -> list[str]:
        """The screen's plain text, one string per row, trailing blanks dropped (for tests and checks)."""
        return [_strip_sgr(render_line(line, self._clusters.cluster)).rstrip() for line in self._vt.view()]


_SURROGATE = re.compile("[\ud800-\udfff]")


def _strip_sgr(row: str) -> str:
    return SGR.sub("", row)


def _check_size(width: int, height: int) -> None:
    # avt panics (an exception no `except Exception` catches) on 0 rows or columns, and on a wide
    # character in a single column with autowrap off; no real terminal is that narrow. Its memory
    # grows with width x height (a recording's 5000x5000 header cost 1.8 GB, 100000x100000 aborted
    # the process): nothing larger than a stream may be is emulated.
    if width < 2 or height < 1:
        raise ValueError(
            f"terminal size {width}x{height} is too small: it needs at least 2 columns and 1 row"
        )
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ValueError(f"terminal size {width}x{height} is over glyphcast's limit of {MAX_SIDE}x{MAX_SIDE}")
