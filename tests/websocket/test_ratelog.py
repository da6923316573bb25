"""RateLimitedLog: one line per key per interval, then the count of what was suppressed.

Time comes from a FakeClock: an interval passes when the test advances it.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from glyphcast.clock import FakeClock
from glyphcast_websocket.ratelog import RateLimitedLog


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def ratelog_for(caplog: pytest.LogCaptureFixture, clock: FakeClock, **options: Any) -> RateLimitedLog:
    logger = logging.getLogger("glyphcast.test.ratelog")
    caplog.set_level(logging.DEBUG, logger=logger.name)
    return RateLimitedLog(logger, 10.0, clock=clock, **options)


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def test_one_line_per_key_per_interval_then_the_suppressed_count(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    log = ratelog_for(caplog, clock)
    assert log.warning("bad-token", "refused %s", "a")
    for _ in range(999):
        assert not log.warning("bad-token", "refused %s", "b")
    log.warning("origin", "refused origin %s", "x")  # another key is independent
    clock.advance(10.0)
    assert log.warning("bad-token", "refused %s", "c")
    assert lines(caplog) == ["refused a", "refused origin x", "refused c (999 more suppressed)"]


def test_flush_reports_the_count_when_a_burst_just_stops(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    log = ratelog_for(caplog, clock)
    for _ in range(5):
        log.info("k", "event %d", 1)
    clock.advance(5.0)
    assert log.flush() == 0  # interval not over
    clock.advance(5.0)
    assert log.flush() == 1
    assert lines(caplog) == ["event 1", "event 1 (4 more suppressed)"]
    assert len(log) == 0  # quiet keys are forgotten
    assert log.info("k", "event %d", 2)  # and log at once next time


def test_keys_are_bounded(caplog: pytest.LogCaptureFixture, clock: FakeClock) -> None:
    log = ratelog_for(caplog, clock, max_keys=10, max_lines=10_000)
    for i in range(1000):
        log.warning(("client", i), "client %d misbehaves", i)
    assert len(log) == 10


def test_total_lines_are_bounded_whatever_the_keys(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    log = ratelog_for(caplog, clock, max_lines=20)
    for i in range(10_000):
        log.warning(("client", i), "client %d misbehaves", i)
    assert len(caplog.records) == 20
    clock.advance(10.0)
    log.warning("next", "next interval")
    assert lines(caplog)[-2:] == [
        "(9980 more log lines suppressed: too many kinds of events at once)",
        "next interval",
    ]


def test_one_traceback_per_key_per_interval(caplog: pytest.LogCaptureFixture, clock: FakeClock) -> None:
    log = ratelog_for(caplog, clock)
    for _ in range(100):
        try:
            raise OverflowError("boom")
        except OverflowError:
            log.exception("send", "could not send")
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is not None


def test_below_the_level_nothing_is_counted(caplog: pytest.LogCaptureFixture, clock: FakeClock) -> None:
    log = ratelog_for(caplog, clock)
    caplog.set_level(logging.WARNING, logger=log.logger.name)
    assert not log.debug("k", "quiet")
    assert len(log) == 0


def test_percent_signs_in_arguments_are_safe(caplog: pytest.LogCaptureFixture, clock: FakeClock) -> None:
    log = ratelog_for(caplog, clock)
    log.warning("k", "origin %s", "%s%d%n")
    log.warning("k", "origin %s", "%s")
    clock.advance(10.0)
    log.warning("k", "origin %s", "%(x)s")
    assert lines(caplog) == ["origin %s%d%n", "origin %(x)s (1 more suppressed)"]
