"""glyphcast.vt: what a program writes to a terminal becomes the rows and cursor tmux would show.

Most cases run the same bytes through tmux (tests/reference_terminal.py) and
compare the text, the cursor and every cell's colours and styles; the rest pin
what tmux cannot report (its capture has no line drawing, no erased background).
"""

from __future__ import annotations

import os
import unicodedata

import pytest
from glyphcast import vt
from glyphcast.text import cell_width
from glyphcast.vt import Screen, render_line
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_terminal import output_in_tmux

Cell = tuple[object, ...]


def cells(rows: list[str] | tuple[str, ...], width: int) -> list[list[Cell]]:
    """The rows drawn on a fresh terminal, one stream (tmux carries SGR from row to row):
    (char, width, colours, styles) per cell.

    Of a space with nothing drawn across it only the background shows, so
    that is all that is kept of its pen.
    """
    screen = Screen(width, len(rows))
    screen.feed("\r\n".join(rows))
    out = []
    for line in screen._vt.view():  # the emulator's own cells: this is what it parsed
        drawn: list[Cell] = []
        for cell in line.cells:
            pen = cell.pen
            look: Cell = (
                str(pen.foreground),
                str(pen.background),
                pen.bold,
                pen.faint,
                pen.italic,
                pen.underline,
                pen.blink,
                pen.inverse,
                pen.strikethrough,
            )
            if cell.char == " " and not (pen.inverse or pen.underline or pen.strikethrough):
                look = (str(pen.background),)
            drawn.append((cell.char, cell.width, *look))
        out.append(drawn)
    return out


def screen_after(data: bytes, width: int = 20, height: int = 5) -> Screen:
    screen = Screen(width, height)
    screen.feed(data.decode())
    return screen


# Byte streams a terminal must get right, each compared with tmux at 20x5.
AGAINST_TMUX = {
    "lines": b"hello\r\nworld",
    "pending wrap at the last column": b"abcdefghijklmnopqrst",
    "wrap to the next line": b"abcdefghijklmnopqrstu",
    "scrolling off the top": b"1\r\n2\r\n3\r\n4\r\n5\r\n6\r\n7",
    "wide characters": "漢字|😀|\r\nx漢".encode(),
    "a wide character that does not fit wraps": ("a" * 19 + "漢").encode(),
    "16 colours": b"\x1b[31mr\x1b[32mg\x1b[93mY\x1b[44mb\x1b[101mR\x1b[0m",
    "256 colours": b"\x1b[38;5;1ma\x1b[38;5;208mb\x1b[48;5;17mc\x1b[38;5;15md\x1b[38;5;255;48;5;16me\x1b[0m",
    "truecolor": b"\x1b[38;2;1;2;3mx\x1b[48;2;250;100;0my\x1b[38;2;255;255;255;48;2;0;0;0mz\x1b[0m",
    "colon colours": b"\x1b[38:2::10:20:30mx\x1b[38:5:200my\x1b[0m",
    "styles": b"\x1b[1mB\x1b[0m\x1b[2mF\x1b[0m\x1b[3mI\x1b[0m\x1b[4mU\x1b[0m\x1b[5mK\x1b[0m\x1b[7mR\x1b[0m\x1b[9mS\x1b[0m",
    "styles reset one by one": b"\x1b[1;3;4;7;9mA\x1b[22mB\x1b[23mC\x1b[24mD\x1b[27mE\x1b[29mF\x1b[0m",
    "bold bright": b"\x1b[1;31mx\x1b[0m\x1b[1;91my\x1b[0m",
    "colours across lines": b"\x1b[31;44mred on blue\r\nstill\x1b[0m\r\n\x1b[1mbold\r\n\r\nbold\x1b[0m",
    "coloured blanks show, plain blanks do not": b"a\x1b[4m  \x1b[0m\x1b[7m  \x1b[0m\x1b[41m  \x1b[31m  ",
    "hidden cursor": b"abc\x1b[?25l",
    "alternate screen entered": b"primary\r\n\x1b[?1049h\x1b[2;3Halt text",
    "alternate screen left": b"primary\r\nshell$ \x1b[?1049h\x1b[H\x1b[2Jfull screen\x1b[?1049l",
    "alternate screen 47": b"primary\x1b[?47h\x1b[Halt\x1b[?47l",
    "alternate screen 1047": b"primary\x1b[?1047h\x1b[Halt\x1b[?1047l",
    "cursor hidden in the alternate screen, shown after": b"\x1b[?1049h\x1b[?25lvim\x1b[?25h\x1b[?1049l",
    "scroll region, line feed at its bottom": b"1\r\n2\r\n3\r\n4\r\n5\x1b[2;4r\x1b[4;1H\nnew\x1b[r",
    "scroll region, reverse index at its top": b"1\r\n2\r\n3\r\n4\r\n5\x1b[2;4r\x1b[2;1H\x1bMtop\x1b[r",
    "scroll up and down": b"1\r\n2\r\n3\r\n4\r\n5\x1b[2S\x1b[1T",
    "insert and delete lines": b"1\r\n2\r\n3\r\n4\r\n5\x1b[2;1H\x1b[L\x1b[4;1H\x1b[2M",
    "insert, delete, erase characters": b"abcdefgh\x1b[1;3H\x1b[2@\x1b[1;7H\x1b[1P\x1b[1;1H\x1b[2X",
    "erase above, erase to the left": b"1\r\n2\r\n3abcdef\x1b[2;1H\x1b[1J\x1b[3;3H\x1b[1K",
    "tabs and backspace": b"a\tb\tc\r\nabc\x08\x08X",
    "save and restore the cursor": b"ab\x1b7\x1b[3;5Hcd\x1b8X",
    "positions past the edge": b"\x1b[99;99Hx",
    "origin mode": b"\x1b[2;4r\x1b[?6h\x1b[1;1Hx\x1b[?6l\x1b[r",
    "autowrap off": b"\x1b[?7labcdefghijklmnopqrstuvwxyz\x1b[?7h",
    "insert mode": b"abcdef\x1b[1;2H\x1b[4hXY\x1b[4l",
    "full reset": b"junk\x1b[31m\x1bcclean",
    "titles are not text": b"\x1b]0;title\x07text\x1b]2;t2\x1b\\more",
    "absolute and relative moves": b"\x1b[3dX\x1b[10GY\x1b[3;5H\x1b[1Fa\x1b[2Eb",
    "repeat": b"a\x1b[5b",
    "an accent sits on its letter": "e\u0301x\x1b[1;3HY".encode(),
    "marks with no composed form": "ที่x\x1b[1;3HY".encode(),
    "joined emoji are one wide character": "👨\u200d👩\u200d👧x\x1b[1;4HY".encode(),
    "variation selector": "\u2764\ufe0fx\u2714\ufe0f!".encode(),
    "zero width space": "a\u200bb".encode(),
    "an accent with nothing before it": "\u0301x\r\n\x1b[31m\u0301y".encode(),
    "an accent on a wide character": "漢\u0301x".encode(),
    "hangul jamo": "\u1100\u1161x".encode(),
}


@pytest.mark.parametrize("data", AGAINST_TMUX.values(), ids=AGAINST_TMUX.keys())
def test_screen_text_cursor_and_cells_match_tmux(data: bytes) -> None:
    width, height = 20, 5
    ours = screen_after(data, width, height)
    rows, cursor = ours.snapshot()
    tmux = output_in_tmux(data, width, height)

    # NFC: tmux keeps "e" + U+0301 as written, we compose it to "é"; both draw the same.
    assert [unicodedata.normalize("NFC", r) for r in ours.text()] == [
        unicodedata.normalize("NFC", r) for r in tmux.screen
    ]
    col, row = tmux.cursor  # tmux reports col == width in a pending wrap; terminals draw it on the last cell
    assert cursor == ((min(col, width - 1), row) if tmux.cursor_visible else None)
    assert cells(rows, width) == cells(tmux.styled, width)
    assert all(cell_width(r) <= width for r in rows)


# -- what tmux's capture cannot show -------------------------------------------------


def test_line_drawing_characters_become_box_drawing() -> None:
    # tmux's capture-pane prints the raw "lqqk"; terminals draw boxes.
    assert screen_after(b"\x1b(0lqqk\r\nx  x\r\nmqqj\x1b(Bq").text()[:3] == ["┌──┐", "│  │", "└──┘q"]


def test_erasing_with_a_background_colour_fills_the_line_with_it() -> None:
    # xterm's background colour erase; tmux does it on screen but its capture drops it.
    rows = screen_after(b"ab\x1b[41m\x1b[K\x1b[0m\r\n\x1b[44m\x1b[2K", 6, 2).rows()
    assert rows == ("ab\x1b[0;41m    \x1b[0m", "\x1b[0;44m      \x1b[0m")


def test_tab_forward_goes_to_the_next_tab_stops() -> None:
    # CSI I (CHT), which tmux 3.3 ignores.
    screen = screen_after(b"\x1b[2Ia", 40, 1)
    assert screen.text() == [" " * 16 + "a"]


# -- rows: SGR per cell -------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "row"),
    [
        ("plain", "plain"),
        ("\x1b[31mred\x1b[0m", "\x1b[0;31mred\x1b[0m"),
        ("\x1b[95;105mbright\x1b[0m", "\x1b[0;95;105mbright\x1b[0m"),
        ("\x1b[38;5;1mtheme\x1b[0m", "\x1b[0;31mtheme\x1b[0m"),
        ("\x1b[38;5;208m256\x1b[0m", "\x1b[0;38;5;208m256\x1b[0m"),
        ("\x1b[48;5;17mbg\x1b[0m", "\x1b[0;48;5;17mbg\x1b[0m"),
        (
            "\x1b[38;2;254;220;186;48;2;18;52;86mrgb\x1b[0m",
            "\x1b[0;38;2;254;220;186;48;2;18;52;86mrgb\x1b[0m",
        ),
        ("\x1b[1;3;4;5;7;9mall\x1b[0m", "\x1b[0;1;3;4;5;7;9mall\x1b[0m"),
        ("\x1b[2mdim\x1b[0m", "\x1b[0;2mdim\x1b[0m"),
        ("a\x1b[1mb\x1b[0mc", "a\x1b[0;1mb\x1b[0mc"),
        ("ab   ", "ab"),
        ("ab\x1b[44m  \x1b[0m ", "ab\x1b[0;44m  \x1b[0m"),
        ("ab\x1b[31m   ", "ab"),
    ],
)
def test_a_row_carries_the_sgr_that_redraws_each_cell(output: str, row: str) -> None:
    screen = Screen(20, 1)
    screen.feed(output)
    assert screen.rows() == (row,)


def test_a_wide_character_is_written_once_and_counts_two_cells() -> None:
    screen = Screen(10, 2)
    screen.feed("漢字|\r\n😀x")
    assert screen.rows() == ("漢字|", "😀x")
    assert [cell_width(r) for r in screen.rows()] == [5, 3]
    assert screen.cursor == (3, 1)


def test_a_cluster_stands_in_for_one_cell_and_comes_back_as_written() -> None:
    screen = Screen(10, 1)
    family = "👨\u200d👩\u200d👧"
    screen.feed(f"ที่{family}x")
    assert screen.rows() == (f"ที่{family}x",)
    assert screen.cursor == (4, 0)
    screen.feed("\x1b[1;2HZ")  # overwrite the left half of the wide cluster: its right half shows blank
    assert screen.rows() == ("ที่Z x",)
    screen.feed(f"\r\x1b[K{family}{family}!\x1b[1;3HZ")  # the same after another wide one
    assert screen.rows() == (f"{family}Z !",)


def test_the_programs_own_private_use_b_characters_are_not_taken_for_clusters() -> None:
    screen = Screen(10, 1)
    screen.feed("e\u0e35\U00100000\U0010fffd!")
    assert screen.rows() == ("e\u0e35\ufffd\ufffd!",)


def test_the_cluster_table_is_bounded() -> None:
    screen = Screen(80, 24)
    limit = len(vt._STANDINS)
    clusters = (chr(0x4E00 + n % 20000) + chr(0x300 + n // 20000) for n in range(limit + 100))
    for chunk in iter(lambda: "".join(next(clusters, "") for _ in range(1000)), ""):
        screen.feed(chunk)
    assert len(screen._clusters.cluster) == limit
    # Known clusters still come back whole; new ones after the table filled lose their marks.
    screen.feed("\x1b[H\x1b[2J\u4e00\u0300\u9fa5\u030f")
    assert screen.rows()[0] == "\u4e00\u0300\u9fa5"
    long = Screen(10, 1)
    long.feed("\u4e00" + "\u0300" * 10_000)  # and a cluster keeps a few marks, not any number
    assert long.rows()[0] == "\u4e00" + "\u0300" * (vt._MAX_CLUSTER - 1)


# -- cursor -----------------------------------------------------------------------------


def test_cursor_is_col_row_and_none_while_hidden() -> None:
    screen = Screen(10, 3)
    screen.feed("\x1b[2;5H")
    assert screen.cursor == (4, 1)
    screen.feed("\x1b[?25l")
    assert screen.cursor is None
    screen.feed("\x1b[?25h")
    assert screen.cursor == (4, 1)


def test_after_the_last_column_the_cursor_shows_on_the_last_cell_until_the_next_character() -> None:
    screen = Screen(5, 2)
    screen.feed("abcde")
    assert screen.cursor == (4, 0)
    screen.feed("f")
    assert screen.text() == ["abcde", "f"]
    assert screen.cursor == (1, 1)


# -- alternate screen, scroll regions ------------------------------------------------------


def test_leaving_the_alternate_screen_restores_the_primary_screen_and_cursor() -> None:
    screen = Screen(20, 4)
    screen.feed("$ vim notes\r\n")
    before = screen.snapshot()
    screen.feed("\x1b[?1049h\x1b[H\x1b[2J\x1b[?25l~\r\n~\r\n\x1b[7m notes \x1b[0m\x1b[1;1H\x1b[?25h")
    assert screen.text() == ["~", "~", " notes", ""]
    screen.feed("\x1b[?1049l")
    assert screen.snapshot() == before


def test_a_scroll_region_scrolls_only_its_lines() -> None:
    screen = Screen(10, 5)
    screen.feed("head\r\n1\r\n2\r\n3\r\nfoot\x1b[2;4r\x1b[4;1H\r\n4\r\n5\x1b[r")
    assert screen.text() == ["head", "3", "4", "5", "foot"]


# -- resize --------------------------------------------------------------------------------


def test_resize_rewraps_lines_and_keeps_the_top_unless_the_cursor_would_fall_off() -> None:
    top = Screen(10, 5)
    top.feed("first\r\nsecond")
    top.resize(10, 3)
    assert top.size == (10, 3)
    assert top.rows() == ("first", "second", "")
    assert top.cursor == (6, 1)
    bottom = Screen(10, 5)
    bottom.feed("1\r\n2\r\n3\r\n4\r\n5")
    bottom.resize(10, 3)
    assert bottom.rows() == ("3", "4", "5")
    bottom.feed("!")
    assert bottom.rows()[2] == "5!", "the cursor moved up with its line"
    wrapped = Screen(10, 2)
    wrapped.feed("0123456789abc")
    wrapped.resize(20, 2)
    assert wrapped.rows() == ("0123456789abc", "")


def test_resize_is_a_change_and_the_same_size_is_not() -> None:
    screen = Screen(10, 3)
    screen.feed("x")
    screen.snapshot()
    screen.resize(10, 3)
    assert not screen.changed
    screen.resize(12, 4)
    assert screen.changed
    rows, _ = screen.snapshot()
    assert rows == ("x", "", "", "")


@pytest.mark.parametrize("size", [(0, 5), (1, 5), (5, 0), (-1, -1)])
def test_a_size_avt_cannot_hold_is_refused_with_the_minimum(size: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="at least 2 columns and 1 row"):
        Screen(*size)
    screen = Screen(10, 3)
    with pytest.raises(ValueError, match="at least 2 columns and 1 row"):
        screen.resize(*size)
    assert screen.size == (10, 3)


# -- changed / snapshot ---------------------------------------------------------------------


def test_changed_says_whether_the_next_snapshot_differs() -> None:
    screen = Screen(10, 3)
    assert screen.changed, "nothing taken yet"
    assert screen.snapshot() == (("", "", ""), (0, 0))
    assert not screen.changed
    screen.feed("\x1b[31m")  # a pen change alone shows nothing
    assert not screen.changed
    screen.feed("hi")
    assert screen.changed
    assert screen.snapshot() == (("\x1b[0;31mhi\x1b[0m", "", ""), (2, 0))
    screen.feed("\x1b[3;1H")  # the cursor alone moved
    assert screen.changed
    assert screen.snapshot()[1] == (0, 2)
    screen.feed("\x1b[?25l")
    assert screen.changed
    assert screen.snapshot()[1] is None
    assert not screen.changed
    screen.feed("\x1b[1;1H\x1b[31mhi")  # the same again: avt reports the line, but nothing differs
    assert not screen.changed


def test_only_changed_lines_are_rendered_again(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Screen(10, 4)
    screen.feed("one\r\ntwo\r\nthree")
    screen.snapshot()
    rendered: list[str] = []

    def counting(line: object, clusters: dict[str, str] | None = None) -> str:
        row = render_line(line, clusters)  # type: ignore[arg-type]
        rendered.append(row)
        return row

    monkeypatch.setattr(vt, "render_line", counting)
    screen.feed("\x1b[2;1HTWO")
    assert screen.rows() == ("one", "TWO", "three", "")
    assert rendered == ["TWO"]


# Output pieces for the property below: text, moves, scrolling, erasing, both screens.
PIECES = [
    "abc",
    "漢",
    "😀",
    "\r\n",
    "\n",
    "\r",
    "\x08",
    "\t",
    "\x1b[31m",
    "\x1b[0m",
    "\x1b[44m",
    "\x1b[H",
    "\x1b[3;7H",
    "\x1b[2J",
    "\x1b[K",
    "\x1b[2;4r",
    "\x1b[r",
    "\x1bM",
    "\x1b[2L",
    "\x1b[M",
    "\x1b[3@",
    "\x1b[2P",
    "\x1b[S",
    "\x1b[?1049h",
    "\x1b[?1049l",
    "\x1b[?25l",
    "\x1b[?25h",
    "\x1b7",
    "\x1b8",
    "xxxxxxxxxxxxxx",
]


def test_a_wide_character_that_wraps_repaints_the_line_it_leaves() -> None:
    """avt reports only the next line changed; the last cell of this one took the background."""
    screen = Screen(12, 2)
    screen.feed("\t漢\x08\x1b[44m漢")
    screen.snapshot()
    screen.feed("漢")
    assert screen.snapshot()[0] == ("        \x1b[0;44m 漢 \x1b[0m", "\x1b[0;44m漢\x1b[0m")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=12), max_size=12))
def test_rows_after_many_writes_equal_rows_after_one(writes: list[list[str]]) -> None:
    """Re-rendering only the lines avt reports changed never leaves a stale row."""
    stepwise = Screen(12, 4)
    for write in writes:
        stepwise.feed("".join(write))
        stepwise.snapshot()
    at_once = Screen(12, 4)
    at_once.feed("".join("".join(write) for write in writes))
    assert stepwise.snapshot() == at_once.snapshot()


# -- bounded memory ---------------------------------------------------------------------------


def _rss_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads the process's memory from /proc")
@pytest.mark.parametrize(
    "unit", ["\x1b[32mbuild\x1b[0m step {n} " + "-" * 50 + "\r\n", "no newline at all {n} "]
)
def test_fifty_megabytes_of_output_keep_memory_flat(unit: str) -> None:
    screen = Screen(80, 24)
    chunk = "".join(unit.format(n=n) for n in range(1000))
    fed, peak = 0, 0
    screen.feed(chunk)
    screen.snapshot()
    start = _rss_kb()
    while fed < 50_000_000:
        screen.feed(chunk)
        screen.snapshot()
        fed += len(chunk)
        peak = max(peak, _rss_kb() - start)
    assert peak < 8_000, f"memory grew {peak} KB while feeding {fed // 1_000_000} MB"
    assert len(screen._vt.lines()) == 24, "no scrollback kept"


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads the process's memory from /proc")
def test_one_huge_write_is_fed_in_pieces_with_memory_bounded_and_accents_kept() -> None:
    """avt returns every line a write scrolled off: a few MB in one call would cost hundreds of MB."""
    screen = Screen(80, 24)
    text = "".join(f"line {n} caf\u00e9 cafe\u0301 \U0001f44d\U0001f3fd\r\n" for n in range(100_000))
    start = _rss_kb()
    screen.feed(text)
    grew = _rss_kb() - start
    assert grew < 50_000, f"memory grew {grew} KB feeding {len(text) // 1_000_000} MB at once"
    assert {row.partition(" caf")[2] for row in screen.rows()[:-1]} == {
        "\u00e9 caf\u00e9 \U0001f44d\U0001f3fd"
    }
