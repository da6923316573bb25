"""The demo source: deterministic, exactly sized, and exercising what real engines send."""

from __future__ import annotations

import itertools

import pytest
from glyphcast import Frame, open_source
from glyphcast.demo import DemoSource, bounce, clock
from glyphcast.text import cell_width, strip_ansi


def frames_of(source: DemoSource, count: int) -> list[list[str]]:
    return [list(cue.rows or []) for cue in itertools.islice(source, count)]


def test_same_options_give_identical_frames() -> None:
    assert frames_of(DemoSource(80, 24, seed=3), 120) == frames_of(DemoSource(80, 24, seed=3), 120)


def test_another_seed_gives_another_animation() -> None:
    assert frames_of(DemoSource(80, 24, seed=1), 30) != frames_of(DemoSource(80, 24, seed=2), 30)


@pytest.mark.parametrize(("width", "height"), [(80, 24), (120, 40), (30, 10), (20, 4), (5, 1), (1, 1)])
def test_every_row_is_exactly_the_width_and_there_are_height_rows(width: int, height: int) -> None:
    for rows in frames_of(DemoSource(width, height), 40):
        assert len(rows) == height
        assert [cell_width(row) for row in rows] == [width] * height


def test_it_sends_256_colour_truecolor_bold_inverse_and_wide_characters() -> None:
    rows = DemoSource(80, 24).frame(0)
    text = "".join(rows)
    assert "\x1b[48;5;" in text and "\x1b[38;5;208m" in text.replace("\x1b[1;38;5;208m", "\x1b[38;5;208m")
    assert "\x1b[48;2;" in text and "\x1b[38;2;" in text
    assert "\x1b[1m" in text and "\x1b[7m" in text
    wide = [row for row in rows if "漢字" in row]
    assert wide and "🚀" in wide[0]


def test_only_some_rows_change_from_frame_to_frame() -> None:
    rows = frames_of(DemoSource(80, 24, seed=5), 60)
    frames = [Frame.from_buffer(r, 80, 24, n) for n, r in enumerate(rows)]
    changed = [f.changed_rows(prev) for prev, f in itertools.pairwise(frames)]
    assert all(1 <= len(c) <= 8 for c in changed), changed
    ever_changed = set().union(*map(set, changed))
    assert 0 in ever_changed and 22 in ever_changed  # the title's clock and the ticker
    assert len(ever_changed) < 24  # the palette, styles and wide rows never do


def test_the_clock_shows_time_at_the_nominal_fps() -> None:
    assert clock(0, 30) == "00:00.0"
    assert clock(45, 30) == "00:01.5"
    assert clock(30 * 75 + 3, 30) == "01:15.1"
    title = strip_ansi(DemoSource(80, 24, fps=10).frame(125)[0])
    assert "frame 000125" in title and "00:12.5" in title


def test_the_ball_bounces_inside_its_span() -> None:
    positions = [bounce(0.7 * n, 9) for n in range(200)]
    assert min(positions) == 0 and max(positions) == 9


def test_the_demo_is_a_registered_source_with_a_seed_option() -> None:
    source = open_source("demo:seed=9", 40, 12)
    assert (source.width, source.height) == (40, 12)
    assert frames_of(source, 3) == frames_of(DemoSource(40, 12, seed=9), 3)  # type: ignore[arg-type]
