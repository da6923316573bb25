"""The end of a stream (protocol v1.1): final frame, then ``end`` {seq, reason}, then close 1000.

A server shutdown stays 1001 (viewers reconnect); an end is 1000 (viewers stop).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from glyphcast_websocket.testing import connect, expect_close, receive, receive_frame, receive_until
from websockets.exceptions import ConnectionClosed, InvalidHandshake

JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(30)


def test_every_client_gets_the_final_frame_then_end_then_1000(open_hub: Any) -> None:
    display = open_hub()
    display.show(["first"])
    with connect(display, JSON) as one, connect(display, JSON) as two:
        for ws in (one, two):
            assert receive_frame(ws)["lines"][0] == "first"
        display.show(["last"])
        display.end("program exited with status 0")
        for ws in (one, two):
            frame = receive_frame(ws)
            assert frame["lines"][0] == "last"
            end = receive(ws)
            assert end == {"type": "end", "seq": frame["seq"], "reason": "program exited with status 0"}
            assert expect_close(ws) == (1000, "stream ended")


def test_the_final_frame_is_not_lost_when_end_follows_it_at_once(open_hub: Any) -> None:
    """The end replaces a frame waiting in the hand-over slot: it carries that frame along."""
    display = open_hub()
    with connect(display, JSON) as ws:
        receive_until(ws, "hello")
        for i in range(200):
            display.show([f"frame {i}"])
        display.end("done")
        message = receive_until(ws, "end")
        assert message["seq"] == 200
    with connect(display, JSON) as late:
        receive_until(late, "hello")
        assert receive_frame(late)["lines"][0] == "frame 199"


def test_a_client_joining_after_the_end_gets_the_final_frame_and_end(open_hub: Any) -> None:
    display = open_hub()
    display.show(["the last screen"])
    display.end("the recording ended")
    with connect(display, JSON) as ws:
        assert receive(ws)["type"] == "hello"
        assert receive_frame(ws)["lines"][0] == "the last screen"
        assert receive(ws) == {"type": "end", "seq": 1, "reason": "the recording ended"}
        assert expect_close(ws)[0] == 1000


def test_frames_shown_after_the_end_are_not_sent(open_hub: Any) -> None:
    display = open_hub()
    display.show(["final"])
    display.end("done")
    display.show(["too late"])
    with connect(display, JSON) as ws:
        assert receive_frame(ws)["lines"][0] == "final"
        assert receive(ws)["type"] == "end"


def test_cleanup_after_end_closes_with_1000_not_1001(open_hub: Any) -> None:
    """The engine cleans up right after ending: clients still read the end and see 1000."""
    display = open_hub()
    display.show(["bye"])
    with connect(display, JSON) as ws:
        receive_frame(ws)
        display.end("bye")
        display.cleanup()
        assert receive(ws)["type"] == "end"
        assert expect_close(ws)[0] == 1000


def test_without_an_end_cleanup_is_still_1001(open_hub: Any) -> None:
    display = open_hub()
    display.show(["x"])
    with connect(display, JSON) as ws:
        receive_frame(ws)
        display.cleanup()
        assert expect_close(ws)[0] == 1001


def _join_and_wait(display: Any, codes: list[int | None], failures: list[BaseException]) -> None:
    try:
        with connect(display, JSON, timeout=2) as ws:
            codes.append(expect_close(ws, timeout=5)[0])
    except (OSError, InvalidHandshake, ConnectionClosed):
        codes.append(None)  # the server was stopping or gone: refused or dropped, not hung
    except BaseException as error:
        failures.append(error)


def test_connects_racing_the_end_never_leave_a_client_hanging(open_hub: Any, caplog: Any) -> None:
    """Clients connecting while the stream ends and the server stops each get end + 1000, a 1001,
    or (too late) a refused or dropped handshake, and nothing is logged as an error: 40 ends x 5
    clients, 200 connects racing an end.

    Seen and not fixed: a connection the kernel hands over in the listener's very last instant can
    be left unanswered, so its client waits for its own open timeout (2 s here) and then retries."""
    caplog.set_level(logging.WARNING)
    for _ in range(40):
        display = open_hub()
        display.show(["x"])
        codes: list[int | None] = []
        failures: list[BaseException] = []
        threads = [threading.Thread(target=_join_and_wait, args=(display, codes, failures)) for _ in range(5)]
        for thread in threads:
            thread.start()
        display.end("done")
        display.cleanup()
        for thread in threads:
            thread.join(10)
        assert not failures
        assert len(codes) == 5
        assert set(codes) <= {1000, 1001, None}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
