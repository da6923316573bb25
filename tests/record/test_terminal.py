"""Rows rebuilt from pyte's cells keep the text, the colours and the styles."""

from __future__ import annotations

import pytest
from glyphcast.text import cell_width
from glyphcast_record.terminal import Terminal

from .conftest import first_difference, frame_cells, screen_cells


def rows_after(output: str, width: int = 20, height: int = 2) -> tuple[str, ...]:
    terminal = Terminal(width, height)
    terminal.feed(output)
    return terminal.rows()


@pytest.mark.parametrize(
    ("output", "row"),
    [
        ("plain", "plain"),
        ("\x1b[31mred\x1b[0m", "\x1b[0;31mred\x1b[0m"),
        ("\x1b[33mbrown is yellow\x1b[0m", "\x1b[0;33mbrown is yellow\x1b[0m"),
        ("\x1b[95;105mbright\x1b[0m", "\x1b[0;95;105mbright\x1b[0m"),  # pyte spells 105 "bfightmagenta"
        ("\x1b[38;5;208m256\x1b[0m", "\x1b[0;38;5;208m256\x1b[0m"),
        ("\x1b[38;2;254;220;186;48;2;18;52;86mrgb\x1b[0m", "\x1b[0;38;2;254;220;186;48;2;18;52;86mrgb\x1b[0m"),
        ("\x1b[1;3;4;5;7;9mall\x1b[0m", "\x1b[0;1;3;4;5;7;9mall\x1b[0m"),
        ("a\x1b[1mb\x1b[0mc", "a\x1b[0;1mb\x1b[0mc"),
    ],
)
def test_rebuilt_row_carries_the_sgr_for_each_cell(output: str, row: str) -> None:
    assert rows_after(output)[0] == row


def test_256_colours_0_to_15_stay_hex_because_they_are_theme_colours() -> None:
    # pyte stores 38;5;1 as the hex of xterm's default red: give it back as truecolor.
    assert rows_after("\x1b[38;5;1mx")[0] == "\x1b[0;38;2;205;0;0mx\x1b[0m"


def test_a_wide_character_is_written_once_though_pyte_gives_it_two_cells() -> None:
    [row, _] = rows_after("漢字|")
    assert row == "漢字|"
    assert cell_width(row) == 5


def test_trailing_blanks_are_dropped_but_coloured_blanks_are_kept() -> None:
    assert rows_after("ab   ")[0] == "ab"
    assert rows_after("ab\x1b[44m  \x1b[0m ")[0] == "ab\x1b[0;44m  \x1b[0m"


def test_rebuilt_rows_draw_the_same_cells_as_the_terminal_holds() -> None:
    output = (
        "\x1b[1;38;2;10;20;30mtrue\x1b[0m \x1b[7;38;5;33mrev256\x1b[0m 漢字\r\n"
        "\x1b[4;42munder green\x1b[0m \x1b[3mit\x1b[9mstrike\x1b[0m"
    )
    terminal = Terminal(30, 2)
    terminal.feed(output)
    rebuilt = frame_cells(terminal.rows(), 30, 2)
    held = screen_cells(terminal.screen)
    assert rebuilt == held, first_difference(rebuilt, held)


def test_only_dirty_lines_are_rebuilt_and_resize_keeps_rows_in_step() -> None:
    terminal = Terminal(10, 3)
    terminal.feed("one\r\ntwo\r\nthree")
    assert terminal.rows() == ("one", "two", "three")
    terminal.feed("\x1b[2;1HTWO")
    assert terminal.rows() == ("one", "TWO", "three")
    terminal.resize(4, 2)
    assert terminal.size == (4, 2)
    assert len(terminal.rows()) == 2


def test_shrinking_keeps_the_top_lines_unless_the_cursor_would_fall_off() -> None:
    top = Terminal(10, 5)
    top.feed("first\r\nsecond")
    top.resize(10, 3)
    assert top.rows() == ("first", "second", "")
    bottom = Terminal(10, 5)
    bottom.feed("1\r\n2\r\n3\r\n4\r\n5")
    bottom.resize(10, 3)
    assert bottom.rows() == ("3", "4", "5")
    bottom.feed("!")
    assert bottom.rows()[2] == "5!", "the cursor moved up with its line"
