"""Frames, deltas, cell widths and the seed's border: the pure data every display relies on."""

from __future__ import annotations

import pytest
from glyphcast import Delta, Frame
from glyphcast.border import FrameMeter, render_border
from glyphcast.text import cell_width, fit, strip_ansi
from hypothesis import given
from hypothesis import strategies as st


def frame(rows: list[str], seq: int = 1, width: int = 10) -> Frame:
    return Frame.from_buffer(rows, width, len(rows), seq, ts=1000.0)


def test_from_buffer_pads_and_cuts_to_height() -> None:
    assert Frame.from_buffer(["a"], 5, 3, 1).rows == ("a", "", "")
    assert Frame.from_buffer(["a", "b", "c", "d"], 5, 2, 1).rows == ("a", "b")


def test_frames_are_immutable() -> None:
    f = frame(["a"])
    with pytest.raises(AttributeError):
        f.seq = 2  # type: ignore[misc]


def test_changed_rows_lists_only_rows_that_differ() -> None:
    base = frame(["a", "b", "c"], seq=1)
    new = frame(["a", "B", "c"], seq=2)
    assert new.changed_rows(base) == [1]
    assert new.changed_rows(None) == [0, 1, 2]


def test_a_resize_changes_every_row_and_refuses_a_delta() -> None:
    base = frame(["a", "b"], width=10)
    bigger = frame(["a", "b", "c"], seq=2, width=10)
    assert bigger.changed_rows(base) == [0, 1, 2]
    with pytest.raises(ValueError, match="resize"):
        bigger.delta(base)


def test_delta_applies_only_on_its_base() -> None:
    base = frame(["a", "b", "c"], seq=4)
    new = frame(["a", "x", "y"], seq=5)
    delta = new.delta(base)
    assert delta == Delta(5, 4, new.ts, 10, 3, ((1, "x"), (2, "y")))
    assert delta.apply(base) == new
    with pytest.raises(ValueError, match="applies to frame 4"):
        delta.apply(frame(["a", "b", "c"], seq=3))


@given(
    st.lists(st.text(alphabet="ab\x1bc", max_size=4), min_size=1, max_size=6),
    st.lists(st.text(alphabet="ab\x1bc", max_size=4), min_size=1, max_size=6),
)
def test_delta_rebuilds_any_frame_of_the_same_shape(old: list[str], new: list[str]) -> None:
    height = max(len(old), len(new))
    base = Frame.from_buffer(old, 8, height, 1, ts=0.0)
    target = Frame.from_buffer(new, 8, height, 2, ts=1.0)
    assert target.delta(base).apply(base) == target


def test_cell_width_ignores_escapes_and_counts_wide_characters_twice() -> None:
    assert cell_width("\x1b[38;2;1;2;3mab\x1b[0m") == 2
    assert cell_width("漢字") == 4
    assert cell_width("🚀x") == 3
    assert cell_width("\x1b]8;;http://x\x07link\x1b]8;;\x07") == 4


def test_fit_pads_and_cuts_to_exact_cells_keeping_styles() -> None:
    assert fit("ab", 4) == "ab  "
    assert fit("abcdef", 3) == "abc"
    styled = fit("\x1b[1mbold text\x1b[0m", 4)
    assert strip_ansi(styled) == "bold" and styled.startswith("\x1b[1m") and styled.endswith("\x1b[0m")


def test_fit_never_splits_a_wide_character_at_the_edge() -> None:
    cut = fit("a漢字", 4)
    assert cut == "a漢 " and cell_width(cut) == 4


@given(st.text(alphabet="ab漢🚀\x1b[1m ", max_size=30), st.integers(min_value=0, max_value=20))
def test_fit_always_gives_exactly_the_width(row: str, width: int) -> None:
    assert cell_width(fit(row, width)) == width


def test_border_boxes_the_content_and_shows_fps() -> None:
    rows = render_border(["hello", "漢字"], 24, 4, fps=29.97, frame_time=33.4)
    assert len(rows) == 4
    assert all(cell_width(row) == 24 for row in rows)
    assert rows[0].startswith("┌ 30.0 fps 33.4 ms ─")
    assert rows[1] == "│hello" + " " * 17 + "│" and rows[2] == "│漢字" + " " * 18 + "│"
    assert rows[3] == "└" + "─" * 22 + "┘"


def test_border_drops_the_label_when_it_does_not_fit() -> None:
    assert render_border([], 12, 3, fps=30.0)[0] == "┌" + "─" * 10 + "┐"


def test_border_leaves_tiny_sizes_alone() -> None:
    assert render_border(["x"], 1, 1) == ["x"]


def test_frame_meter_reports_rate_from_call_times(monkeypatch: pytest.MonkeyPatch) -> None:
    now = iter([0.0, 0.1, 0.2, 0.3])
    monkeypatch.setattr("glyphcast.border.time.perf_counter", lambda: next(now))
    meter = FrameMeter()
    for _ in range(4):
        meter.tick()
    assert meter.interval_ms == pytest.approx(100.0)
    assert meter.fps == pytest.approx(10.0)
