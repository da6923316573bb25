"""Rows from outside the process carry text and SGR only, and a bounded length (glyphcast.text.clean_row).

What a Redis writer or a recording may put in a row must not reach a
terminal, a recording or a viewer as anything but text and colours: no
title or clipboard writes (OSC), no queries whose answers come back as
keystrokes (CSI 6n, DA), no cursor moves, no resets, no bidi overrides.
"""

from __future__ import annotations

import pytest
from glyphcast import vt
from glyphcast.paint import paint_rows
from glyphcast.protocol import MAX_SIDE
from glyphcast.text import ROW_CHARS_PER_CELL, SGR, clean_row, clean_text, is_clean, max_row_chars
from hypothesis import given
from hypothesis import strategies as st

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def only_text_and_sgr(row: str) -> bool:
    """No control character, no escape but SGR, no bidi control."""
    text = SGR.sub("", row)
    return not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in BIDI for c in text)


ATTACKS = {
    "title (OSC 0, BEL)": "\x1b]0;pwned\x07",
    "clipboard (OSC 52, ST)": "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x1b\\",
    "cursor position query": "\x1b[6n",
    "device attributes query": "\x1b[c",
    "secondary DA": "\x1b[>c",
    "xterm window ops": "\x1b[21t",
    "modifyOtherKeys (CSI > m, not SGR)": "\x1b[>4;2m",
    "cursor move": "\x1b[10;10H",
    "erase display": "\x1b[2J",
    "full reset": "\x1bc",
    "DCS (DECRQSS)": "\x1bP$qm\x1b\\",
    "APC": "\x1b_payload\x1b\\",
    "8-bit CSI": "\x9b6n",
    "8-bit OSC": "\x9d0;pwned\x9c",
    "bidi override": "\u202eevil",
    "carriage return": "\rover",
    "backspace and DEL": "\b\x7f",
    "unterminated OSC": "\x1b]0;swallow the rest",
    "lone ESC": "\x1b",
    "CSI cut short": "\x1b[38;2",
}


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_every_escape_but_sgr_and_every_control_is_dropped(attack: str) -> None:
    row = "\x1b[1;31mred\x1b[0m " + attack + " \x1b[38;2;1;2;3mtail\x1b[0m"
    cleaned = clean_row(row, 80)
    assert only_text_and_sgr(cleaned), repr(cleaned)
    assert cleaned.startswith("\x1b[1;31mred\x1b[0m ")
    assert "\x1b]" not in cleaned and "\x1b[6n" not in cleaned and "\x1bc" not in cleaned


def test_text_and_colours_come_through_unchanged_and_a_clean_row_is_not_copied() -> None:
    row = (
        "".join(f"\x1b[38;5;{n % 256};48;2;{n};0;0m{chr(0x41 + n % 26)}" for n in range(200))
        + "\x1b[0m é 中 ✓"
    )
    assert clean_row(row, 200) is row


def test_a_row_is_cut_to_its_bound_and_a_sequence_cut_in_half_is_dropped() -> None:
    assert max_row_chars(80) == 80 * ROW_CHARS_PER_CELL
    huge = "\x1b[31m" + "x" * 20_000_000
    cleaned = clean_row(huge, 80)
    assert len(cleaned) == max_row_chars(80)
    cut = clean_row("a" * (max_row_chars(2) - 3) + "\x1b[38;2;1;2;3m", 2)
    assert cut == "a" * (max_row_chars(2) - 3)


def test_clean_text_is_plain_and_bounded() -> None:
    assert clean_text("\x1b[31mchapter\x1b[0m \x1b]0;t\x07one\u202e\n", 100) == "chapter one"
    assert len(clean_text("x" * 10_000, 200)) == 200


@given(
    st.text(alphabet=st.sampled_from("ab é\x1b[]0123456789;:m?>Pc\\\x07\x9b\x9c\x9d\u202e\r\n\x7f")),
    st.integers(1, 300),
)
def test_any_row_comes_out_as_text_and_sgr_within_its_bound(row: str, width: int) -> None:
    cleaned = clean_row(row, width)
    assert only_text_and_sgr(cleaned), repr(cleaned)
    assert len(cleaned) <= max_row_chars(width)
    assert clean_row(cleaned, width) == cleaned


@given(st.one_of(st.text(), st.text(alphabet=st.sampled_from("a é中\x1b[]0;m:?>\x07\x9b\u202e\u200d\x7f"))))
def test_the_fast_check_agrees_with_the_definition(row: str) -> None:
    assert is_clean(row) == only_text_and_sgr(row), repr(row)


def test_painting_a_cleaned_row_writes_nothing_but_position_text_sgr_and_erase() -> None:
    row = clean_row("a\x1b]0;t\x07b\x1b[6nc", 10)
    painted = paint_rows([(0, row)], 10)
    assert painted == "\x1b[1;1Habc\x1b[0m\x1b[K"


# -- the VT emulator's rows -------------------------------------------------------------
def test_a_screen_over_the_size_limit_is_refused_naming_the_limit() -> None:
    with pytest.raises(ValueError, match=f"{MAX_SIDE}x{MAX_SIDE}"):
        vt.Screen(MAX_SIDE + 1, 24)
    with pytest.raises(ValueError, match=f"{MAX_SIDE}x{MAX_SIDE}"):
        vt.Screen(80, 100_000)
    screen = vt.Screen(80, 24)
    with pytest.raises(ValueError, match=f"{MAX_SIDE}x{MAX_SIDE}"):
        screen.resize(100_000, 100_000)
    assert screen.size == (80, 24)
    assert vt.Screen(MAX_SIDE, MAX_SIDE).size == (MAX_SIDE, MAX_SIDE)


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_the_emulator_s_rows_carry_only_text_and_sgr(attack: str) -> None:
    screen = vt.Screen(40, 3)
    screen.feed("\x1b[32mok\x1b[0m " + attack + " x\u202ey\x7fz\u2066w")
    rows, _ = screen.snapshot()
    assert all(only_text_and_sgr(row) for row in rows), rows


def test_the_painter_writes_an_engine_s_row_as_text_and_sgr_too() -> None:
    """The terminal display and recordings paint with paint_rows: a row with other escapes loses them there."""
    painted = paint_rows([(0, "\x1b[31mred\x1b]0;title\x07\x1b[6n\x1b[0m")], 10)
    assert painted == "\x1b[1;1H\x1b[31mred\x1b[0m\x1b[0m\x1b[K"


def test_a_lone_surrogate_shows_as_a_replacement_character_instead_of_failing_the_feed() -> None:
    """A recording's JSON can hold "\\ud800"; avt cannot take it."""
    screen = vt.Screen(10, 1)
    screen.feed("a\ud800b")
    assert screen.snapshot()[0] == ("a\ufffdb",)
