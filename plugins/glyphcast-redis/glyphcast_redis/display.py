"""The ``redis`` display: the stream published to a Redis Stream, for edge servers to serve.

``show()`` hands the frame to a :class:`~glyphcast_redis.backlog.Backlog` and
returns; a worker thread turns frames, clears and the end into entries
(:class:`~glyphcast_redis.publisher.Publisher`) and writes each batch in one
pipelined round trip (``XADD ... MAXLEN ~ maxlen``). After a second without
an entry it writes a heartbeat, so edges can tell an idle producer from a
dead one; and every orderly stop (``cleanup()``) publishes the end, so edges
hear that the producer stopped instead of waiting for its silence. When Redis is slow the
backlog fills and the newest frame wins; when it is down the worker switches
the backlog to latest-wins at once, says so in :meth:`RedisDisplay.status`
and :meth:`RedisDisplay.metrics`, retries with backoff and, once Redis answers
again, writes the newest screen as a keyframe. The engine never waits on Redis.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

import redis
from glyphcast import Frame, FrameDisplay
from glyphcast.handoff import Cleared, Ended
from glyphcast.logs import escape

from glyphcast_redis import entries
from glyphcast_redis.backlog import Backlog
from glyphcast_redis.connection import (
    DEFAULT_URL,
    UNREACHABLE,
    Backoff,
    Outage,
    RedisOptionError,
    client,
    close_quietly,
    log,
    redacted,
)
from glyphcast_redis.entries import HEARTBEAT_INTERVAL
from glyphcast_redis.publisher import Event, Publisher

#: The end's reason when the producer stops without its source having ended (Ctrl-C, SIGTERM, ``--frames``).
STOPPED = "the producer stopped"


class RedisDisplay(FrameDisplay):
    """Publishes the stream to Redis key ``glyphcast:STREAM`` at ``url``.

    ``keyframe_interval``: seconds between keyframes at most (also one at least
    every ``maxlen // 4`` entries, so the newest keyframe is never trimmed);
    ``maxlen``: about how many entries Redis keeps (``MAXLEN ~``);
    ``queue_frames``: frames waiting for Redis before the newest wins.
    """

    #: How long cleanup() gives the worker to write what is queued (the end, above all).
    close_timeout = 2.0

    def __init__(
        self,
        url: str = DEFAULT_URL,
        stream: str = "main",
        keyframe_interval: float = 2.0,
        maxlen: int = 2048,
        queue_frames: int = 256,
        connect_timeout: float = 1.0,
        timeout: float = 2.0,
        width: int = 80,
        height: int = 24,
    ) -> None:
        super().__init__(width, height)
        if not stream:
            raise RedisOptionError("redis needs a stream name: --display redis:stream=NAME")
        if not keyframe_interval > 0:
            raise RedisOptionError(f"redis: keyframe_interval={keyframe_interval} must be seconds > 0")
        if maxlen < 16:
            raise RedisOptionError(f"redis: maxlen={maxlen} must be at least 16 entries")
        if queue_frames < 1:
            raise RedisOptionError(f"redis: queue_frames={queue_frames} must be at least 1")
        self.url = url
        self.stream = stream
        self.key = entries.key(stream)
        self.maxlen = maxlen
        self.keyframe_interval = keyframe_interval
        self.queue_frames = queue_frames
        self._redis = client(url, connect_timeout, timeout)
        self.run = secrets.token_hex(8)
        self.publisher = Publisher(self.run, keyframe_interval, maxlen // 4)
        self.backlog: Backlog[Event] = Backlog(queue_frames)
        self.outage = Outage(f"redis display {redacted(url)} stream {stream!r}")
        self._worker: threading.Thread | None = None
        self._newest: Frame | None = None
        self._last_seq = 0  # a Stream hands frames to show_frame: its seq, not this display's own count
        self._ended = False
        #: Entries Redis took, and their bytes (the entries' payloads).
        self.entries_published = 0
        self.bytes_published = 0

    # -- FrameDisplay (engine thread) -------------------------------------------
    def start(self) -> None:
        self._worker = threading.Thread(target=self._publish, name=f"glyphcast-redis {self.key}", daemon=True)
        self._worker.start()

    def deliver(self, frame: Frame) -> None:
        if not self._ended:
            self._newest, self._last_seq = frame, frame.seq
            self.backlog.put(frame)

    def clear(self) -> None:
        if self.started and not self.closed and not self._ended:
            self._newest = None
            self.backlog.put(Cleared(self._last_seq))

    def end(self, reason: str) -> None:
        """Publish the end (after the newest frame): edges end with the same ``reason``."""
        if self.started and not self.closed and not self._ended:
            self._ended = True
            self.backlog.put(Ended(self._newest, reason))

    def stop(self) -> None:
        """Publish the end ("the producer stopped", unless the source ended with a reason of its own), write what is
        queued (at most ``close_timeout`` while Redis is away) and close."""
        if not self._ended and self._failure is None:
            self._ended = True
            self.backlog.put(Ended(self._newest, STOPPED))
        self.backlog.close()
        worker = self._worker
        if worker is not None:
            worker.join(self.close_timeout + 1.0)
            if worker.is_alive():
                log.warning(
                    "%s: %d events were not published before shutdown", self.outage.what, len(self.backlog)
                )
        close_quietly(self._redis)

    def is_available(self) -> bool:
        return True

    # -- what it says about itself ----------------------------------------------
    @property
    def frames_dropped(self) -> int:
        """Frames (and clears) replaced before they reached Redis: Redis was slow or down."""
        return self.backlog.dropped

    def metrics(self) -> dict[str, Any]:
        """Counters for monitoring: whether Redis is reachable, what was published and dropped."""
        return {
            "redis_up": 0 if self.outage.down else 1,
            "redis_down_seconds": round(self.outage.seconds(), 3),
            "redis_outages": self.outage.count,
            "entries_published": self.entries_published,
            "bytes_published": self.bytes_published,
            "keyframes": self.publisher.keyframes,
            "deltas": self.publisher.deltas,
            "frames_dropped": self.frames_dropped,
            "latest_wins": self.backlog.latest_wins,
        }

    def status(self) -> str:
        where = f"{redacted(self.url)} {self.key}"
        if self.outage.down:
            return (
                f"{where}: Redis unreachable for {self.outage.seconds():.1f} s ({self.outage.error}), "
                f"latest-wins, {self.frames_dropped} frames dropped"
            )
        dropped = f", {self.frames_dropped} frames dropped" if self.frames_dropped else ""
        return f"{where}: {self.entries_published} entries published{dropped}"

    # -- the worker ------------------------------------------------------------------
    def _publish(self) -> None:
        backoff = Backoff()
        give_up_at: float | None = None
        written_at = (
            time.monotonic()
        )  # the last write Redis took: a heartbeat is due HEARTBEAT_INTERVAL after it
        while True:
            if self.outage.down:
                # Redis was away: after a pause, write the screen as it is now (a keyframe) and the end if
                # there was one; frames shown meanwhile replaced each other in the backlog (latest-wins).
                time.sleep(backoff.next())
                batch = self.backlog.take(0.0)
                self.publisher.failed()
                self.publisher.note(batch.items if batch is not None else ())
                messages = self.publisher.resume(time.monotonic())
            else:
                idle = (
                    None
                    if self.publisher.ended
                    else max(0.0, written_at + HEARTBEAT_INTERVAL - time.monotonic())
                )
                batch = self.backlog.take(idle)
                if batch is None:
                    return  # closed, and everything handed over was written
                now = time.monotonic()
                if batch.items:
                    messages = self.publisher.plan(batch.items, now, gap=batch.gap)
                elif now - written_at >= HEARTBEAT_INTERVAL:
                    messages = self.publisher.idle(now)  # nothing shown for a while: say the producer is here
                else:
                    continue
            if not messages:
                if batch is None:
                    return
                continue
            if not self._write(messages):
                if self._failure is not None:
                    return  # refused for good: the next show() raises it
                self.publisher.failed()
                self.backlog.latest_wins = True
                if self.backlog.closed:
                    give_up_at = give_up_at or time.monotonic() + self.close_timeout
                    if time.monotonic() >= give_up_at:
                        log.warning(
                            "%s: gave up publishing the last events: Redis unreachable at shutdown",
                            self.outage.what,
                        )
                        return
                continue
            written_at = time.monotonic()
            if self.outage.down:
                self.backlog.latest_wins = False
                backoff.reset()
                self.outage.recovered(
                    f"published the newest screen as a keyframe ({self.frames_dropped} frames dropped in all)"
                )
            if batch is None:
                return

    def _refused(self, message: str) -> None:
        """A refusal that retrying will not fix: the next show() raises it and the stream disables this display."""
        log.error("%s: %s", self.outage.what, message)
        self.fail(RedisOptionError(message))
        self.backlog.close()

    def _write(self, messages: list[dict[str, Any]]) -> bool:
        pipe = self._redis.pipeline(transaction=False)
        size = 0
        for message in messages:
            fields = entries.encode(message)
            size += len(fields[entries.FIELD])
            pipe.xadd(self.key, fields, maxlen=self.maxlen, approximate=True)  # type: ignore[arg-type]
        try:
            pipe.execute()
        except redis.AuthenticationError as error:
            self._refused(
                f"Redis refused the credentials ({escape(error)}); give them in the url: redis://USER:PASSWORD@HOST"
            )
            return False
        except redis.ResponseError as error:
            if str(error).startswith(("WRONGTYPE", "NOPERM")):
                self._refused(
                    f"Redis refused the writes to {self.key} ({escape(error)}); choose another stream name "
                    "or allow this user to XADD to it"
                )
                return False
            self.outage.failed(error, "retrying; see the Redis server's log")
            return False
        except UNREACHABLE as error:
            self.outage.failed(error, "publishing the newest frame when it is back (latest-wins until then)")
            return False
        except redis.RedisError as error:
            self.outage.failed(error, "retrying; see the Redis server's log")
            return False
        self.entries_published += len(messages)
        self.bytes_published += size
        return True
