"""Edge servers for the tests: ``--source redis`` into a real websocket display, in this process or as processes."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import glyphcast
from glyphcast import Stream
from glyphcast.runner import Runner
from glyphcast_redis import RedisSource
from glyphcast_websocket import HubDisplay
from glyphcast_websocket.testing import Screen, connect, decode
from websockets.exceptions import ConnectionClosed

DIFF = "glyphcast.diff.v1"


class Edge:
    """``glyphcast run --source redis:... --display websocket`` on a thread: the same objects the CLI builds."""

    def __init__(self, url: str, stream: str, **options: Any) -> None:
        self.source = RedisSource(url=url, stream=stream, **{"block": 0.1, "exit_on_end": True, **options})
        display = glyphcast.open_display("websocket", port=0, control="false")
        assert isinstance(display, HubDisplay)
        self.display = display
        self.stream = Stream([("websocket", display)])
        self.stream.init(self.source.width, self.source.height)
        self.runner = Runner(self.source, self.stream)
        self.ended: str | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        stats = self.runner.run()
        if stats.ended == "source":  # as the CLI's play() does
            self.ended = self.source.end_reason or "the source ended"
            self.stream.end(self.ended)

    def close(self) -> None:
        self.runner.stop()
        self.thread.join(5)
        self.stream.cleanup()
        self.source.close()


@dataclass
class Viewer:
    """A diff-codec client on a thread: what it had on screen at each seq, and how the stream ended for it."""

    url: str
    screens: dict[int, tuple[int, int, tuple[str, ...]]] = field(default_factory=dict)
    last: tuple[int, tuple[str, ...]] | None = None
    ended: str | None = None
    #: When ``end`` came, and every ``producer`` state with when it came (time.monotonic()).
    ended_at: float | None = None
    producers: list[tuple[float, str]] = field(default_factory=list)
    close_code: int | None = None
    resyncs: int = 0
    ready: threading.Event = field(default_factory=threading.Event)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._watch, daemon=True)
        thread.start()
        assert self.ready.wait(5), f"no hello from {self.url}"
        return thread

    def states(self) -> list[str]:
        """The ``producer`` states received so far, in order."""
        return [state for _, state in self.producers]

    def first(self, state: str) -> float | None:
        """When the first ``producer`` ``state`` came, or None."""
        return next((at for at, said in self.producers if said == state), None)

    def _watch(self) -> None:
        screen = Screen()
        with connect(self.url, DIFF) as ws:
            try:
                while True:
                    message = decode(ws.recv(timeout=20))
                    self.receive(ws, screen, message)
            except ConnectionClosed as closed:
                self.close_code = closed.rcvd.code if closed.rcvd is not None else None

    def receive(self, ws: Any, screen: Screen, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "hello":
            self.ready.set()
        elif kind == "end":
            self.ended, self.ended_at = message["reason"], time.monotonic()
        elif kind == "producer":
            self.producers.append((time.monotonic(), message["state"]))
        elif kind in ("frame", "delta", "clear"):
            if not screen.apply(message):
                self.resyncs += 1
                ws.send(json.dumps({"type": "resync"}))
                return
            if kind != "clear":
                assert screen.seq is not None
                self.screens[screen.seq] = (screen.width, screen.height, tuple(screen.lines))
                self.last = (screen.seq, tuple(screen.lines))


def wait_until(condition: Any, timeout: float = 5.0, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


class Backoff:
    """The viewer's reconnect delays (client/src/reconnect.js): from 0.5 s, doubling to 10 s, half to full jitter."""

    def __init__(self, initial: float = 0.5, maximum: float = 10.0) -> None:
        import random

        self.initial, self.maximum, self.attempt, self.random = initial, maximum, 0, random.random

    def next(self) -> float:
        ceiling = min(self.maximum, self.initial * 2**self.attempt)
        self.attempt += 1
        return max(self.initial, ceiling * (0.5 + 0.5 * self.random()))


@dataclass
class ReconnectingViewer(Viewer):
    """A viewer that reconnects as the browser viewer does: after an abnormal close, with its backoff,
    until the stream ends (close 1000) or it is told to stop."""

    connections: int = 0
    dropped: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)

    def _watch(self) -> None:
        backoff = Backoff()
        while not self.stopping.is_set():
            screen = Screen()
            try:
                with connect(self.url, DIFF) as ws:
                    self.connections += 1
                    backoff.attempt = 0
                    while not self.stopping.is_set():
                        try:
                            data = ws.recv(timeout=0.2)
                        except TimeoutError:
                            continue
                        self.receive(ws, screen, decode(data))
            except ConnectionClosed as closed:
                self.close_code = closed.rcvd.code if closed.rcvd is not None else None
                if self.close_code == 1000:
                    return
                self.dropped += 1
            except OSError:
                pass  # refused or reset while connecting: try again
            self.stopping.wait(backoff.next())
