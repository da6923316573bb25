"""paint_rows, the one ANSI row painter (terminal display and asciicast recordings), checked on a real emulator."""

from __future__ import annotations

from core_helpers import screen_after
from glyphcast.paint import CLEAR_SCREEN, paint_cursor, paint_rows


def test_each_row_goes_to_its_own_line_reset_and_erased_to_the_end() -> None:
    assert paint_rows([(0, "ab"), (2, "c")], 10) == "\x1b[1;1Hab\x1b[0m\x1b[K\x1b[3;1Hc\x1b[0m\x1b[K"


def test_a_full_width_row_skips_the_erase_that_would_wipe_its_last_cell() -> None:
    assert paint_rows([(0, "0123456789")], 10) == "\x1b[1;1H0123456789\x1b[0m"
    # Wide characters count two cells: 5 of them fill 10 columns.
    assert paint_rows([(0, "漢字漢字漢")], 10) == "\x1b[1;1H漢字漢字漢\x1b[0m"
    assert paint_rows([(0, "012345678")], 10).endswith("\x1b[K")
    screen = screen_after(paint_rows([(0, "0123456789")], 10))
    assert screen.display[0] == "0123456789"


def test_a_row_wider_than_the_screen_is_cut_instead_of_wrapping_over_the_next_row() -> None:
    data = paint_rows([(0, "x" * 15), (1, "keep")], 10)
    assert screen_after(data, lines=2).display == ["x" * 10, "keep      "]


def test_a_wide_character_straddling_the_edge_becomes_a_space() -> None:
    screen = screen_after(paint_rows([(0, "abcdefghi漢")], 10))
    assert screen.display[0] == "abcdefghi "


def test_a_shorter_row_erases_what_a_longer_one_left() -> None:
    screen = screen_after(paint_rows([(0, "long row!!")], 10), paint_rows([(0, "short")], 10))
    assert screen.display[0] == "short     "


def test_a_frame_narrower_than_the_screen_is_cut_to_its_width_and_erases_beyond_it() -> None:
    before = screen_after("\x1b[1;1H" + "#" * 10)
    after = screen_after("\x1b[1;1H" + "#" * 10, paint_rows([(0, "0123456789")], 6, columns=10))
    assert before.display[0] == "#" * 10
    assert after.display[0] == "012345    "


def test_styles_end_with_the_row_so_the_erase_and_the_next_row_are_plain() -> None:
    screen = screen_after(paint_rows([(0, "\x1b[1;41mab"), (1, "cd")], 10))
    first, second = screen.buffer[0], screen.buffer[1]
    assert first[0].bold and first[0].bg == "red"
    assert first[2].bg == "default", "the erase painted the row's background past its end"
    assert not second[0].bold and second[0].bg == "default"


def test_clear_screen_blanks_with_the_default_background() -> None:
    screen = screen_after("\x1b[41mxx", CLEAR_SCREEN)
    assert screen.display[0] == " " * 10 and screen.buffer[0][0].bg == "default"
    assert (screen.cursor.x, screen.cursor.y) == (0, 0)


def test_the_cursor_goes_back_where_the_frame_has_it_or_is_hidden() -> None:
    assert paint_cursor((3, 1)) == "\x1b[2;4H\x1b[?25h"
    assert paint_cursor(None) == "\x1b[?25l"
    screen = screen_after(paint_rows([(0, "abcdef"), (1, "gh")], 10) + paint_cursor((3, 0)))
    assert (screen.cursor.x, screen.cursor.y, screen.cursor.hidden) == (3, 0, False)
    assert screen_after(paint_cursor(None)).cursor.hidden
