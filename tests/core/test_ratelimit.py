"""One token bucket for every rate limit: the hub's per-client messages and a shared program's input bytes."""

from __future__ import annotations

import pytest
from glyphcast.clock import FakeClock
from glyphcast.ratelimit import TokenBucket


def test_a_burst_is_allowed_then_the_rate_refills_it() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=50, burst=100, clock=clock)
    assert sum(bucket.take() for _ in range(150)) == 100
    clock.advance(0.1)  # 5 come back in 100 ms
    assert sum(bucket.take() for _ in range(20)) == 5


def test_a_take_larger_than_what_is_left_is_refused_whole_and_spends_nothing() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=100, clock=clock)
    assert bucket.take(60)
    assert not bucket.take(50)
    assert bucket.take(40)
    assert not bucket.take(0.5)


def test_the_bucket_never_holds_more_than_its_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=1000, burst=10, clock=clock)
    clock.advance(60.0)
    assert bucket.take(10) and not bucket.take(1)


def test_a_rate_of_zero_never_refills() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=0, burst=2, clock=clock)
    clock.advance(1e6)
    assert [bucket.take() for _ in range(3)] == [True, True, False]


@pytest.mark.parametrize(("rate", "burst"), [(10, 0), (-1, 10), (float("nan"), 10), (10, float("nan"))])
def test_a_negative_rate_or_an_empty_burst_is_refused_in_one_line(rate: float, burst: float) -> None:
    with pytest.raises(ValueError, match="a rate must be 0 or more and a burst positive") as caught:
        TokenBucket(rate, burst)
    assert "\n" not in str(caught.value)


def test_the_hub_and_the_sharer_meter_with_this_one_bucket() -> None:
    glyphcast_pty = pytest.importorskip("glyphcast_pty.budget", reason="glyphcast-pty is not installed here")
    session = pytest.importorskip(
        "glyphcast_websocket.session", reason="glyphcast-websocket is not installed here"
    )
    assert issubclass(glyphcast_pty.InputBudget, TokenBucket)
    assert session.TokenBucket is TokenBucket
