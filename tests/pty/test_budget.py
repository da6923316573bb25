"""Controller input is metered per program: whole messages in or out, one report line per interval."""

from __future__ import annotations

from glyphcast.clock import FakeClock
from glyphcast_pty.budget import DropReport, InputBudget


def test_a_burst_fits_then_the_rate_refills_the_budget() -> None:
    clock = FakeClock()
    budget = InputBudget(rate=100, burst=1000, clock=clock)
    assert budget.take(1000)
    assert not budget.take(1)
    clock.advance(0.5)
    assert budget.take(50) and not budget.take(1)


def test_a_message_larger_than_what_is_left_is_refused_whole_and_spends_nothing() -> None:
    clock = FakeClock()
    budget = InputBudget(rate=10, burst=100, clock=clock)
    assert budget.take(60)
    assert not budget.take(50)
    assert budget.take(40)


def test_drops_are_reported_once_per_interval_with_what_was_dropped_since() -> None:
    clock = FakeClock()
    report = DropReport(interval=5, clock=clock)
    assert report.dropped(10) == (1, 10)
    assert report.dropped(20) is None and report.dropped(30) is None
    clock.advance(5.0)
    assert report.dropped(1) == (3, 51)
