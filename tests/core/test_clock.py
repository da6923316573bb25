"""glyphcast.clock: the real clock, and the fake one the timing tests run on."""

from __future__ import annotations

import threading

import pytest
from glyphcast.clock import MONOTONIC, Clock, FakeClock, SystemClock


def test_fake_time_moves_only_when_the_test_advances_it() -> None:
    clock = FakeClock(start=100.0)
    assert clock.now() == clock.now() == 100.0
    clock.advance(2.5)
    assert clock.now() == 102.5
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance(-1)


def test_timers_run_in_due_order_each_at_its_due_time_and_a_cancelled_one_not_at_all() -> None:
    clock = FakeClock()
    ran: list[tuple[str, float]] = []
    clock.call_later(2.0, lambda: ran.append(("b", clock.now())))
    clock.call_later(1.0, lambda: ran.append(("a", clock.now())))
    cancelled = clock.call_later(1.5, lambda: ran.append(("never", clock.now())))
    clock.call_later(9.0, lambda: ran.append(("later", clock.now())))
    cancelled.cancel()
    assert clock.timers == [1.0, 2.0, 9.0]
    clock.advance(0.999)
    assert ran == []
    clock.advance(2.0)
    assert ran == [("a", 1.0), ("b", 2.0)]
    assert clock.now() == 2.999
    assert clock.timers == [9.0]


def test_a_timer_set_by_a_timer_runs_in_the_same_advance_when_it_falls_due() -> None:
    clock = FakeClock()
    ran: list[float] = []

    def tick() -> None:
        ran.append(clock.now())
        if len(ran) < 3:
            clock.call_later(1.0, tick)

    clock.call_later(0.0, tick)
    clock.advance(5.0)
    assert ran == [0.0, 1.0, 2.0]


def test_a_wait_on_the_fake_clock_ends_when_time_reaches_its_deadline() -> None:
    clock = FakeClock()
    returned: list[tuple[bool, float]] = []
    waiter = threading.Thread(target=lambda: returned.append((clock.wait(30.0), clock.now())))
    waiter.start()
    assert clock.until(lambda c: c.waiting == [30.0])
    clock.advance(29.0)
    assert clock.waiting == [30.0] and returned == []  # time has not come: it cannot have returned
    clock.advance(1.0)
    waiter.join(5)
    assert returned == [(False, 30.0)]
    assert clock.waiting == []


def test_a_wait_ends_at_once_when_its_event_is_set_whatever_the_time() -> None:
    clock = FakeClock()
    wake = threading.Event()
    returned: list[bool] = []
    waiter = threading.Thread(target=lambda: returned.append(clock.wait(None, wake)))
    waiter.start()
    assert clock.until(lambda c: c.waiting == [None])
    wake.set()
    waiter.join(5)
    assert returned == [True] and clock.now() == 0.0


def test_until_gives_up_after_its_real_timeout() -> None:
    assert FakeClock().until(lambda c: bool(c.waiting), timeout=0.01) is False


def test_the_real_clock_waits_real_time_wakes_early_and_calls_back_on_a_thread() -> None:
    clock: Clock = MONOTONIC
    assert isinstance(clock, SystemClock)
    before = clock.now()
    assert clock.wait(0.05) is False
    assert clock.now() - before >= 0.04  # a lower bound with room for the clocks' rounding
    wake = threading.Event()
    wake.set()
    assert clock.wait(60, wake) is True  # returns at once: the event is set
    called = threading.Event()
    clock.call_later(0.0, called.set)
    assert called.wait(5)
    never = threading.Event()
    clock.call_later(30, never.set).cancel()
    assert not never.is_set()
