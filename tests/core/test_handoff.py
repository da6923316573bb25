"""The latest-wins slot between an engine and a display's worker."""

from __future__ import annotations

import threading
import time

from glyphcast.handoff import LatestSlot


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
