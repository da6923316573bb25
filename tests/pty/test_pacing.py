"""The pacer's rules on a fake clock: at once when output goes quiet, at most fps, fps during a flood."""

from __future__ import annotations

import pytest
from glyphcast_pty.pacing import Pacer


def test_nothing_changed_means_no_timeout_and_nothing_due() -> None:
    pacer = Pacer(30)
    assert pacer.timeout(0.0) is None
    assert not pacer.due_when_quiet(0.0) and not pacer.due_while_busy(100.0)


def test_a_change_after_idle_is_due_at_once_when_output_goes_quiet() -> None:
    pacer = Pacer(30)
    pacer.changed(10.0)
    assert pacer.timeout(10.0) == 0.0
    assert pacer.due_when_quiet(10.0)


def test_a_change_right_after_a_frame_waits_for_the_rest_of_the_interval() -> None:
    pacer = Pacer(10)
    pacer.shown(1.0)
    pacer.changed(1.02)
    assert pacer.timeout(1.02) == pytest.approx(0.08)
    assert not pacer.due_when_quiet(1.05)
    assert pacer.due_when_quiet(1.1)


def test_while_output_keeps_coming_a_frame_waits_one_interval_after_the_change() -> None:
    pacer = Pacer(10)
    pacer.changed(5.0)
    assert not pacer.due_while_busy(5.05)  # more is coming: wait for it (a redraw in several writes)
    assert pacer.due_while_busy(5.1)


def test_a_flood_gets_fps_frames_a_second() -> None:
    pacer = Pacer(30)
    frames, now = 0, 0.0
    while now < 2.0:  # output every millisecond for two seconds
        pacer.changed(now)
        if pacer.due_while_busy(now):
            pacer.shown(now)
            frames += 1
        now += 0.001
    assert 55 <= frames <= 61


def test_fps_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacer(0)
