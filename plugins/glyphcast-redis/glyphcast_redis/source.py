"""The ``redis`` source: a producer's stream read back from Redis, frame for frame, on an edge server.

It starts at the newest keyframe (or clear) in the stream, then follows new
entries as they come (``XREAD BLOCK``), rebuilding each frame with its
producer's seq, ts, rows and cursor (:class:`~glyphcast_redis.replica.Replica`),
resizing with it, and ending with the producer's end and its reason. So an
edge is ``glyphcast run --source redis:stream=NAME --display websocket``.

It never shows a torn screen: an entry that does not fit (a delta whose base
was trimmed away, a gap after an outage) makes it seek the newest keyframe,
and so does falling a whole read batch behind. When Redis goes away it logs
one line, retries with backoff and, once Redis answers, seeks the newest
keyframe again. While it waits it yields empty cues, so a run's ``--duration``
and Ctrl-C still work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any, cast

from glyphcast import Cue

from glyphcast_redis import entries
from glyphcast_redis.connection import (
    DEFAULT_URL,
    UNREACHABLE,
    Backoff,
    Outage,
    RedisOptionError,
    client,
    close_quietly,
    redacted,
)
from glyphcast_redis.replica import Clear, End, Lost, Replica, Show

log = logging.getLogger("glyphcast.redis")

#: How far back (entries) a seek looks for a keyframe, a page at a time.
SEEK_PAGE = 128
#: Entries left in a stream after a read of this many: the reader is behind and skips to the newest keyframe.
READ_BATCH = 512
#: Seeks come no closer together than this (s): a stream that keeps not fitting (two producers writing
#: one stream) costs a few reads a second, not a busy loop.
SEEK_SPACING = 0.2

Entry = tuple[bytes, dict[bytes, bytes]]


class RedisSource:
    """Cues that reproduce stream ``stream`` at ``url`` (Redis key ``glyphcast:STREAM``).

    ``width``/``height`` are used until the first keyframe says the stream's
    size (it is read when the source opens, if Redis answers). ``block`` is how
    long one read waits for new entries (seconds).
    """

    def __init__(
        self,
        width: int = 80,
        height: int = 24,
        url: str = DEFAULT_URL,
        stream: str = "main",
        block: float = 0.5,
        connect_timeout: float = 1.0,
    ) -> None:
        if not stream:
            raise RedisOptionError("redis needs a stream name: --source redis:stream=NAME")
        if not 0 < block <= 60:
            raise RedisOptionError(f"redis: block={block} must be seconds between 0 and 60")
        self.url = url
        self.stream = stream
        self.key = entries.key(stream)
        self.block = block
        self._redis = client(url, connect_timeout, block + 5.0)
        self.outage = Outage(f"redis source {redacted(url)} stream {stream!r}")
        #: How the producer's source ended (what viewers are told with ``end``); set when the stream ended.
        self.end_reason: str | None = None
        #: Counters: seeks to the newest keyframe (and why the last one), entries skipped as not ours.
        self.seeks = 0
        self.last_seek = ""
        self.bad_entries = 0
        self.width, self.height = self._size_now() or (width, height)

    def _size_now(self) -> tuple[int, int] | None:
        """The size of the newest keyframe, if Redis answers now; the first cue resizes otherwise."""
        try:
            found = self._newest_start()
        except UNREACHABLE as error:
            log.warning("redis source %s: Redis unreachable at start (%s); starting at the given size and "
                        "waiting for it", redacted(self.url), error)
            return None
        if found is None:
            return None
        message = found[1]
        if message["type"] == "frame":
            return int(message["width"]), int(message["height"])
        return None

    def close(self) -> None:
        close_quietly(self._redis)

    # -- reading ------------------------------------------------------------------
    def _decode(self, fields: Any) -> dict[str, Any] | None:
        try:
            return entries.decode(fields)
        except entries.EntryError as error:
            self.bad_entries += 1
            if self.bad_entries == 1 or self.bad_entries % 1000 == 0:
                log.warning("redis source %s: skipped an entry that glyphcast did not write (%s; %d so far)",
                            self.key, error, self.bad_entries)
            return None

    def _newest_start(self) -> tuple[bytes, dict[str, Any]] | None:
        """The newest entry a reader can start from (a keyframe or a clear), paging back; None if none."""
        upper: bytes | str = "+"
        while True:
            page = cast(list[Entry], self._redis.xrevrange(self.key, upper, "-", count=SEEK_PAGE))
            for entry_id, fields in page:
                message = self._decode(fields)
                if message is not None and message["type"] in ("frame", "clear"):
                    return entry_id, message
            if len(page) < SEEK_PAGE:
                return None
            upper = "(" + page[-1][0].decode()

    def _seek(self) -> tuple[str, list[Entry]]:
        """Where to read from after a seek, and the entries from the newest start point on."""
        found = self._newest_start()
        if found is None:
            return "0-0", []  # nothing to start from yet: read every entry as it comes, wait for a keyframe
        start = found[0].decode()
        page = cast(list[Entry], self._redis.xrange(self.key, start, "+", count=READ_BATCH))
        return (page[-1][0].decode() if page else start), page

    def __iter__(self) -> Iterator[Cue]:
        began = time.monotonic()
        replica = Replica(self.width, self.height)
        backoff = Backoff()
        last_id, seeking = "0-0", True
        sought = -SEEK_SPACING
        while True:
            try:
                if seeking:
                    while (wait := sought + SEEK_SPACING - time.monotonic()) > 0:
                        time.sleep(wait)
                    sought = time.monotonic()
                    self.seeks += 1
                    replica.seek()
                    last_id, batch = self._seek()
                    seeking = False
                else:
                    reply: Any = self._redis.xread({self.key: last_id}, count=READ_BATCH, block=int(self.block * 1000))
                    batch = cast(list[Entry], reply[0][1]) if reply else []
                    if len(batch) >= READ_BATCH:
                        # A whole batch behind: what is in it is old news; skip to the newest keyframe.
                        self.last_seek = f"fell {READ_BATCH}+ entries behind"
                        seeking = True
                        continue
            except UNREACHABLE as error:
                self.outage.failed(error, "serving the last frame and retrying; will resume at the newest keyframe")
                seeking = True
                pause = backoff.next()
                while pause > 0:  # idle cues while waiting, so the run can still stop
                    step = min(pause, 0.25)
                    time.sleep(step)
                    pause -= step
                    yield Cue(at=time.monotonic() - began)
                continue
            if self.outage.down:
                backoff.reset()
                self.outage.recovered("resuming at the newest keyframe")
            if not batch:
                yield Cue(at=time.monotonic() - began)  # nothing new: let the runner check its end conditions
                continue
            for entry_id, fields in batch:
                last_id = entry_id.decode()
                message = self._decode(fields)
                if message is None:
                    continue
                event = replica.apply(message)
                if event is None:
                    continue
                if isinstance(event, Lost):
                    self.last_seek = event.why
                    seeking = True
                    break
                at = time.monotonic() - began
                if isinstance(event, Show):
                    frame = event.frame
                    yield Cue(rows=frame.rows, at=at, size=(frame.width, frame.height) if event.resized else None,
                              cursor=frame.cursor, seq=frame.seq, ts=frame.ts)
                elif isinstance(event, Clear):
                    yield Cue(clear=True, at=at)
                elif isinstance(event, End):
                    self.end_reason = event.reason
                    return

    def status(self) -> str:
        if self.outage.down:
            return f"{self.key}: Redis unreachable for {self.outage.seconds():.1f} s ({self.outage.error})"
        return f"{self.key}: {self.seeks} seeks"


def open_redis_source(
    width: int = 80,
    height: int = 24,
    url: str = DEFAULT_URL,
    stream: str = "main",
    block: float = 0.5,
    connect_timeout: float = 1.0,
) -> RedisSource:
    """Factory for the ``redis`` source (an edge server's): the producer's stream ``stream`` at ``url``."""
    return RedisSource(width, height, url=url, stream=stream, block=block, connect_timeout=connect_timeout)
