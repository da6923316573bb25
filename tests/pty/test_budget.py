"""Controller input is metered per program: whole messages in or out, one report line per interval."""

from __future__ import annotations

from glyphcast_pty.budget import DropReport, InputBudget


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_fits_then_the_rate_refills_the_budget() -> None:
    clock = Clock()
    budget = InputBudget(rate=100, burst=1000, clock=clock)
    assert budget.take(1000)
    assert not budget.take(1)
    clock.now = 0.5
    assert budget.take(50) and not budget.take(1)


def test_a_message_larger_than_what_is_left_is_refused_whole_and_spends_nothing() -> None:
    clock = Clock()
    budget = InputBudget(rate=10, burst=100, clock=clock)
    assert budget.take(60)
    assert not budget.take(50)
    assert budget.take(40)


def test_drops_are_reported_once_per_interval_with_what_was_dropped_since() -> None:
    clock = Clock()
    report = DropReport(interval=5, clock=clock)
    assert report.dropped(10) == (1, 10)
    assert report.dropped(20) is None and report.dropped(30) is None
    clock.now = 5.0
    assert report.dropped(1) == (3, 51)
