"""Escape sequences are recognised by patterns declared once, in glyphcast.text, and as a terminal reads them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from glyphcast.text import ANY_ESCAPE, ESCAPE, SGR, cell_width, clean_text, fit, strip_ansi

ROOT = Path(__file__).resolve().parents[2]
#: A regular expression over ESC, as source code writes one: ``\x1b`` or ``\033`` followed by ``[`` or ``\[``.
ESCAPE_REGEX_SOURCE = re.compile(r"\\(?:x1b|033)\\?\[", re.IGNORECASE)


def shipped_sources() -> list[Path]:
    return [
        *(ROOT / "core" / "glyphcast").glob("*.py"),
        *(ROOT / "plugins").glob("glyphcast-*/glyphcast_*/*.py"),
    ]


def test_every_escape_pattern_of_core_and_the_plugins_is_declared_in_glyphcast_text() -> None:
    declared_elsewhere = []
    for path in shipped_sources():
        if path == ROOT / "core" / "glyphcast" / "text.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and ESCAPE_REGEX_SOURCE.search(node.value)
            ):
                declared_elsewhere.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert len(shipped_sources()) > 50
    assert not declared_elsewhere, f"import the pattern from glyphcast.text instead: {declared_elsewhere}"


@pytest.mark.parametrize(
    ("row", "cells"),
    [
        ("\x1b[1;31mred\x1b[0m", 3),  # SGR
        ("a\x1b7b\x1b8", 2),  # save and restore the cursor (ESC 7, ESC 8)
        ("\x1b(Bab", 2),  # designate a character set (ESC ( B)
        ("\x1b]0;title\x07ab", 2),  # OSC ended by BEL
        ("\x1b]8;;https://example.org\x1b\\link\x1b]8;;\x1b\\", 4),  # OSC ended by ST (a hyperlink)
        ("\x1bPq#0;2;0;0;0\x1b\\ab", 2),  # DCS (sixel)
    ],
)
def test_escape_sequences_take_no_cells_whatever_their_kind(row: str, cells: int) -> None:
    assert cell_width(row) == cells
    assert len(strip_ansi(row)) == cells
    assert cell_width(fit(row, 6)) == 6


def test_sgr_matches_colours_and_styles_only() -> None:
    assert SGR.fullmatch("\x1b[38;2;255;0;128m") and SGR.fullmatch("\x1b[m") and SGR.fullmatch("\x1b[4:3m")
    assert not SGR.match("\x1b[2J") and not SGR.match("\x1b]0;t\x07")
    assert ESCAPE.fullmatch("\x1b[2J") and ESCAPE.fullmatch("\x1b[38;5;1m")


def test_from_text_from_outside_an_escape_is_taken_out_whole_even_cut_short() -> None:
    assert not ESCAPE.match("\x1b[3") and ANY_ESCAPE.fullmatch("\x1b[3")
    assert not ESCAPE.match("\x1b]52;c;ZXZpbA==") and ANY_ESCAPE.fullmatch("\x1b]52;c;ZXZpbA==")
    assert clean_text("ab\x1b[3", 10) == clean_text("ab\x1b", 10) == "ab"
