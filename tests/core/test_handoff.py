"""The two handoffs between an engine and a display's worker: latest-wins slot, lossless queue."""

from __future__ import annotations

import threading
import time

import pytest
from glyphcast.handoff import LatestSlot, LosslessQueue


def test_the_newest_item_wins_and_skipped_ones_are_counted() -> None:
    slot: LatestSlot[int] = LatestSlot()
    for n in range(5):
        slot.put(n)
    assert slot.take(timeout=0) == 4
    assert slot.dropped == 4
    assert slot.take(timeout=0) is None


def test_put_never_waits_for_a_consumer_that_does_not_take() -> None:
    slot: LatestSlot[int] = LatestSlot()
    done = threading.Event()

    def produce() -> None:
        for n in range(10_000):
            slot.put(n)
        done.set()

    threading.Thread(target=produce, daemon=True).start()
    assert done.wait(5), "put() blocked although nobody takes"
    assert slot.take(timeout=0) == 9_999


def test_take_waits_for_an_item_from_another_thread() -> None:
    slot: LatestSlot[str] = LatestSlot()
    threading.Timer(0.05, slot.put, args=("late",)).start()
    assert slot.take(timeout=5) == "late"


def test_close_wakes_the_worker_after_it_takes_what_was_left() -> None:
    slot: LatestSlot[str] = LatestSlot()
    taken: list[str | None] = []

    def worker() -> None:
        while (item := slot.take()) is not None:
            taken.append(item)
            time.sleep(0.01)
        taken.append(None)

    thread = threading.Thread(target=worker)
    thread.start()
    slot.put("last")
    slot.close()
    thread.join(5)
    assert not thread.is_alive()
    assert taken[-1] is None
    slot.put("after close")
    assert not slot.pending


def test_put_asks_for_one_wakeup_per_empty_slot_and_take_nowait_never_waits() -> None:
    slot: LatestSlot[int] = LatestSlot()
    assert slot.take_nowait() is None
    assert slot.put(1) is True  # empty -> the consumer needs a wake-up
    assert slot.put(2) is False  # already due: the same wake-up will take the newest
    assert slot.take_nowait() == 2
    assert slot.put(3) is True
    slot.close()
    assert slot.put(4) is False
    assert slot.take_nowait() == 3
    assert slot.take_nowait() is None


# -- the lossless queue ------------------------------------------------------------


def test_every_item_comes_out_in_order_and_put_does_not_wait_below_the_bound() -> None:
    queue: LosslessQueue[int] = LosslessQueue(bound=10)
    for n in range(10):
        assert queue.put(n) is True
    assert queue.waits == 0 and len(queue) == 10
    assert [queue.take(timeout=0) for _ in range(10)] == list(range(10))
    assert queue.take(timeout=0) is None


def test_put_waits_at_the_bound_until_the_consumer_takes_and_counts_the_wait() -> None:
    queue: LosslessQueue[int] = LosslessQueue(bound=2)
    queue.put(0)
    queue.put(1)
    done = threading.Event()

    def produce() -> None:
        queue.put(2)
        done.set()

    threading.Thread(target=produce, daemon=True).start()
    assert not done.wait(0.2), (
        "put() past the bound did not wait: a frame would have been dropped or queued unbounded"
    )
    assert queue.take(timeout=0) == 0
    assert done.wait(5), "taking an item did not make room for the waiting put()"
    assert queue.waits == 1 and queue.wait_seconds >= 0.15
    assert [queue.take(timeout=0), queue.take(timeout=0)] == [1, 2]


def test_a_slow_consumer_gets_every_item_a_fast_producer_puts() -> None:
    queue: LosslessQueue[int] = LosslessQueue(bound=4)
    taken: list[int] = []

    def consume() -> None:
        while (item := queue.take()) is not None:
            taken.append(item)
            time.sleep(0.0005)

    consumer = threading.Thread(target=consume)
    consumer.start()
    for n in range(300):
        assert queue.put(n)
    queue.close()
    consumer.join(10)
    assert not consumer.is_alive()
    assert taken == list(range(300))
    assert queue.waits > 0


def test_close_lets_the_consumer_drain_what_was_queued_then_take_returns_none() -> None:
    queue: LosslessQueue[str] = LosslessQueue(bound=5)
    queue.put("a")
    queue.put("b")
    queue.close()
    assert queue.put("after close") is False
    assert not queue.drained
    assert queue.take() == "a" and queue.take() == "b"
    assert queue.drained
    assert queue.take() is None, "take() after close and drain must not wait"


def test_close_wakes_a_consumer_waiting_on_an_empty_queue() -> None:
    queue: LosslessQueue[str] = LosslessQueue(bound=1)
    threading.Timer(0.05, queue.close).start()
    began = time.monotonic()
    assert queue.take(timeout=5) is None
    assert time.monotonic() - began < 4


def test_abandon_drops_the_queue_and_frees_a_producer_waiting_for_room() -> None:
    queue: LosslessQueue[int] = LosslessQueue(bound=1)
    queue.put(0)
    refused: list[bool] = []
    producer = threading.Thread(target=lambda: refused.append(queue.put(1)))
    producer.start()
    time.sleep(0.05)
    assert queue.abandon() == 1
    producer.join(5)
    assert refused == [False], "the waiting put() must give up once the consumer abandoned the queue"
    assert queue.drained and queue.take(timeout=0) is None


def test_take_times_out_without_an_item() -> None:
    queue: LosslessQueue[int] = LosslessQueue(bound=1)
    assert queue.take(timeout=0.01) is None
    assert not queue.drained


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LosslessQueue(bound=0)
