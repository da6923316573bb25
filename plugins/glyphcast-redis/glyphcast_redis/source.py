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

It tells viewers whether the producer is heard from (protocol v1.2 ``producer``,
decided by :class:`~glyphcast_redis.liveness.Liveness`): "stalled" after
``stall_after`` seconds without an entry of the producer's (it writes a heartbeat
every second while idle) or at once when the producer said ``end``, "live" again
when its entries come, "reconnecting" while Redis does not answer. ``end_after``
seconds into a stall the source ends, so the edge tells viewers ``end`` and exits.

Whoever can write to the stream controls what the edge shows; what they can
do beyond that is bounded. Entries are checked like a client's messages
(:func:`.entries.decode`); which entries are new is decided by their position
in the stream, not by the producer's seq (:mod:`.replica`); an ``end`` ends the
edge at once only with ``exit_on_end=True`` (otherwise it stalls the stream,
which ends only if the producer stays silent for ``end_after``); and entries glyphcast did not write are
logged at most once per :data:`LOG_INTERVAL` and, while nothing else comes,
read ever more slowly (:class:`Junk`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, cast

from glyphcast import Cue
from glyphcast.logs import escape
from glyphcast.protocol import PRODUCER_LIVE, PRODUCER_STALLED, ProducerState

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
from glyphcast_redis.entries import HEARTBEAT_INTERVAL
from glyphcast_redis.liveness import Liveness
from glyphcast_redis.replica import Clear, End, Lost, Position, Replica, Show, position

log = logging.getLogger("glyphcast.redis")

#: How far back (entries) a seek looks for a keyframe, a page at a time, and how many pages at most:
#: the producer writes one at least every maxlen / 4 entries (512 by default). Past that the edge
#: reads on from the newest entry and waits for the next keyframe (every keyframe_interval, 2 s).
SEEK_PAGE = 128
SEEK_PAGES = 16
#: Entries left in a stream after a read of this many: the reader is behind and skips to the newest keyframe.
READ_BATCH = 512
#: Seeks come no closer together than this (s): a stream that keeps not fitting (two producers writing
#: one stream) costs a few reads a second, not a busy loop.
SEEK_SPACING = 0.2

#: Seconds between two log lines about entries glyphcast did not write, or about ends of the stream.
LOG_INTERVAL = 10.0
#: Entries in a row that were not glyphcast's before reads slow down, and the longest pause between reads (s).
JUNK_PATIENCE = 64
JUNK_PAUSE = 1.0

#: The shortest ``stall_after`` (s): well over the producer's heartbeat interval, so an idle producer never stalls.
MIN_STALL_AFTER = 2 * HEARTBEAT_INTERVAL

Entry = tuple[bytes, dict[bytes, bytes]]


class Junk:
    """Entries glyphcast did not write: counted, logged at most once per ``interval``, and paced.

    A stream flooded with junk would keep an edge decoding as fast as it is
    written, and logging in proportion. Here the first one is logged, then one
    line per ``interval`` with how many more; and after :data:`JUNK_PATIENCE`
    in a row, each read waits a pause that doubles up to :data:`JUNK_PAUSE`,
    until an entry of glyphcast's comes.
    """

    def __init__(
        self, what: str, interval: float = LOG_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.what = what
        self.interval = interval
        self.clock = clock
        #: Junk entries in all, and since the last entry of glyphcast's.
        self.count = 0
        self.in_a_row = 0
        self._logged_at = -math.inf
        self._unlogged = 0
        self._backoff = Backoff(initial=0.05, maximum=JUNK_PAUSE)

    def skipped(self, why: str) -> None:
        self.count += 1
        self.in_a_row += 1
        self._unlogged += 1
        now = self.clock()
        if now - self._logged_at >= self.interval:
            which = "an entry" if self._unlogged == 1 else f"{self._unlogged} entries"
            log.warning(
                "%s: skipped %s that glyphcast did not write (the last: %s; %d in all)",
                self.what,
                which,
                escape(why),
                self.count,
            )
            self._logged_at, self._unlogged = now, 0

    def fine(self) -> None:
        """An entry of glyphcast's came: reads go at full speed again."""
        if self.in_a_row:
            self.in_a_row = 0
            self._backoff.reset()

    def pause(self) -> float:
        """Seconds to wait before the next read: 0 unless junk keeps coming."""
        return self._backoff.next() if self.in_a_row >= JUNK_PATIENCE else 0.0


class RedisSource:
    """Cues that reproduce stream ``stream`` at ``url`` (Redis key ``glyphcast:STREAM``).

    ``width``/``height`` are used until the first keyframe says the stream's
    size (it is read when the source opens, if Redis answers). ``block`` is how
    long one read waits for new entries (seconds). ``stall_after``: seconds
    without an entry of the producer's (frames, or its heartbeat while idle)
    before viewers are told it stalled. ``end_after``: seconds into a stall
    after which the source ends (viewers get ``end``, the edge exits); 0: never.
    ``exit_on_end``: the source ends as soon as the producer ends the stream;
    by default an ``end`` is logged, viewers are told the producer stalled and
    the edge keeps serving the last screen, follows whatever is published next
    and ends only ``end_after`` later, so an entry that says ``end`` cannot take
    an edge down while the producer is running.
    """

    #: The stream is the producer's: an edge stopped (SIGTERM, Ctrl-C) goes away, and does not end it.
    relays = True

    def __init__(
        self,
        width: int = 80,
        height: int = 24,
        url: str = DEFAULT_URL,
        stream: str = "main",
        block: float = 0.5,
        connect_timeout: float = 1.0,
        exit_on_end: bool = False,
        stall_after: float = 3.0,
        end_after: float = 30.0,
    ) -> None:
        if not stream:
            raise RedisOptionError("redis needs a stream name: --source redis:stream=NAME")
        if not 0 < block <= 60:
            raise RedisOptionError(f"redis: block={block} must be seconds between 0 and 60")
        if not (math.isfinite(stall_after) and stall_after >= MIN_STALL_AFTER):
            raise RedisOptionError(
                f"redis: stall_after={stall_after} must be seconds, at least {MIN_STALL_AFTER:g} (the producer "
                f"writes a heartbeat every {HEARTBEAT_INTERVAL:g} s while idle)"
            )
        if block >= stall_after:
            raise RedisOptionError(f"redis: block={block} must be shorter than stall_after={stall_after}")
        if not (math.isfinite(end_after) and end_after >= 0):
            raise RedisOptionError(
                f"redis: end_after={end_after} must be seconds >= 0 (0: a silent producer never ends the stream)"
            )
        self.url = url
        self.stream = stream
        self.key = entries.key(stream)
        self.block = block
        self.exit_on_end = exit_on_end
        self.stall_after = stall_after
        self.end_after = end_after
        #: What viewers were last told about the producer (protocol v1.2 ``producer``), and the rules that decide it.
        self.producer_state: ProducerState = PRODUCER_LIVE
        self.liveness = Liveness(stall_after, end_after, time.monotonic())
        self._redis = client(url, connect_timeout, block + 5.0)
        self.outage = Outage(f"redis source {redacted(url)} stream {stream!r}")
        self.junk = Junk(f"redis source {self.key!r}")
        #: How the producer's source ended (what viewers are told with ``end``); set when the source ended with it.
        self.end_reason: str | None = None
        #: Ends of the stream read and not followed (exit_on_end is off), and when one was last logged.
        self.ends = 0
        self._end_logged_at = -math.inf
        #: Counters: seeks to the newest keyframe (and why the last one).
        self.seeks = 0
        self.last_seek = ""
        self.width, self.height = self._size_now() or (width, height)

    @property
    def bad_entries(self) -> int:
        """Entries skipped as not glyphcast's (or damaged)."""
        return self.junk.count

    def _size_now(self) -> tuple[int, int] | None:
        """The size of the newest keyframe, if Redis answers now; the first cue resizes otherwise."""
        try:
            found = self._newest_start()
        except UNREACHABLE as error:
            log.warning(
                "redis source %s: Redis unreachable at start (%s); starting at the given size and "
                "waiting for it",
                redacted(self.url),
                escape(error),
            )
            return None
        if found[0] is None:
            return None
        message = entries.decode(found[0][1])
        if message["type"] == "frame":
            return int(message["width"]), int(message["height"])
        return None

    def close(self) -> None:
        close_quietly(self._redis)

    # -- reading ------------------------------------------------------------------
    def _decode(self, fields: Any) -> dict[str, Any] | None:
        try:
            message = entries.decode(fields)
        except entries.EntryError as error:
            self.junk.skipped(str(error))
            return None
        self.junk.fine()
        return message

    def _newest_start(self) -> tuple[Entry | None, bytes | None, Entry | None]:
        """Where a reader can start, paging back from the newest entry at most :data:`SEEK_PAGES` pages:
        (the newest keyframe or clear, the newest entry's id, the newest ``end`` looked at on the way).
        Without a keyframe or clear so near the end of the stream the reader starts after its newest
        entry (and still ends with an ``end`` it passed); all three are None for an empty stream."""
        upper: bytes | str = "+"
        newest: bytes | None = None
        ended: Entry | None = None
        for _ in range(SEEK_PAGES):
            page = cast(list[Entry], self._redis.xrevrange(self.key, upper, "-", count=SEEK_PAGE))
            for entry_id, fields in page:
                newest = newest or entry_id
                message = self._decode(fields)
                if message is None:
                    continue
                if message["type"] in ("frame", "clear"):
                    return (entry_id, fields), newest, ended
                if message["type"] == "end" and ended is None:
                    ended = entry_id, fields
            if len(page) < SEEK_PAGE:
                break
            upper = "(" + page[-1][0].decode()
        return None, newest, ended

    def _seek(self) -> tuple[str, list[Entry]]:
        """Where to read from after a seek, and the entries to apply first: from the newest start point on."""
        start, newest, ended = self._newest_start()
        if start is not None:
            page = cast(list[Entry], self._redis.xrange(self.key, start[0].decode(), "+", count=READ_BATCH))
            return (page[-1][0].decode() if page else start[0].decode()), page
        if (
            newest is not None
        ):  # nothing to start from near the end: read on from the newest, wait for a keyframe
            return newest.decode(), [ended] if ended is not None else []
        return "0-0", []  # an empty stream: read every entry as it comes

    def _ended(self, reason: str) -> None:
        """The producer ended the stream and ``exit_on_end`` is off: say so, at most once per :data:`LOG_INTERVAL`."""
        self.ends += 1
        now = time.monotonic()
        if now - self._end_logged_at >= LOG_INTERVAL:
            self._end_logged_at = now
            until = f"for {self.end_after:g} s" if self.end_after else "until it publishes again"
            log.warning(
                "redis source %r: the producer ended the stream (%r; %d ends so far); viewers are told it "
                "stalled and see its last screen %s (exit_on_end=true ends this edge with it)",
                self.key,
                reason,
                self.ends,
                until,
            )

    def _tell(self, cue: Cue) -> Cue:
        """``cue``, carrying the producer's state when it is not what viewers were last told."""
        state = self.liveness.state
        if state == self.producer_state:
            return cue
        previous, self.producer_state = self.producer_state, state
        if state == PRODUCER_STALLED and self.liveness.said is None:
            then = (
                f"; the stream ends {self.end_after:g} s from now unless it is heard"
                if self.end_after
                else ""
            )
            log.warning(
                "redis source %r: nothing heard from the producer for %g s; viewers are told it stalled%s",
                self.key,
                self.stall_after,
                then,
            )
        elif state == PRODUCER_LIVE and previous == PRODUCER_STALLED:
            log.warning("redis source %r: the producer is heard again; viewers are told it is live", self.key)
        return replace(cue, producer=state)

    def __iter__(self) -> Iterator[Cue]:
        began = time.monotonic()
        replica = Replica(self.width, self.height)
        backoff = Backoff()
        liveness = self.liveness = Liveness(self.stall_after, self.end_after, began)
        last_id, seeking = "0-0", True
        sought = -SEEK_SPACING
        #: The newest entry read: entries after it are news from the producer (None: nothing read yet, so what
        #: the first seek reads back, however old, is not).
        newest: Position | None = None

        def idle() -> Cue:
            return self._tell(Cue(at=time.monotonic() - began))

        while True:
            if liveness.over(time.monotonic()):
                self.end_reason = liveness.reason
                log.warning("redis source %r: ending the stream: %r", self.key, self.end_reason)
                return
            pause = self.junk.pause()
            while pause > 0:  # junk keeps coming: read it ever more slowly, idle cues meanwhile
                step = min(pause, 0.25)
                time.sleep(step)
                pause -= step
                liveness.update(time.monotonic())
                yield idle()
            news_after = newest
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
                    reply: Any = self._redis.xread(
                        {self.key: last_id}, count=READ_BATCH, block=int(self.block * 1000)
                    )
                    batch = cast(list[Entry], reply[0][1]) if reply else []
                    if len(batch) >= READ_BATCH:
                        # A whole batch behind: what is in it is old news; skip to the newest keyframe.
                        self.last_seek = f"fell {READ_BATCH}+ entries behind"
                        seeking = True
                        continue
            except UNREACHABLE as error:
                self.outage.failed(
                    error, "serving the last frame and retrying; will resume at the newest keyframe"
                )
                liveness.unreachable(time.monotonic())
                seeking = True
                pause = backoff.next()
                while pause > 0:  # idle cues while waiting, so the run can still stop
                    step = min(pause, 0.25)
                    time.sleep(step)
                    pause -= step
                    yield idle()
                continue
            now = time.monotonic()
            if self.outage.down:
                backoff.reset()
                self.outage.recovered("resuming at the newest keyframe")
                liveness.reachable(now)
            if not batch:
                liveness.update(now)
                yield idle()  # nothing new: let the runner check its end conditions
                continue
            for entry_id, fields in batch:
                last_id = entry_id.decode()
                at = position(entry_id)
                message = self._decode(fields)
                if message is None:
                    continue
                if news_after is not None and at > news_after and message["type"] != "end":
                    liveness.heard(now)
                event = replica.apply(message, at)
                if event is None:
                    continue
                if isinstance(event, Lost):
                    self.last_seek = event.why
                    seeking = True
                    break
                shown_at = time.monotonic() - began
                if isinstance(event, Show):
                    liveness.shown()
                    frame = event.frame
                    yield self._tell(
                        Cue(
                            rows=frame.rows,
                            at=shown_at,
                            size=(frame.width, frame.height) if event.resized else None,
                            cursor=frame.cursor,
                            seq=frame.seq,
                            ts=frame.ts,
                        )
                    )
                elif isinstance(event, Clear):
                    liveness.shown()
                    yield self._tell(Cue(clear=True, at=shown_at))
                elif isinstance(event, End):
                    if self.exit_on_end:
                        self.end_reason = event.reason
                        return
                    self._ended(event.reason)
                    liveness.said_end(now, event.reason)
            newest = max(newest or (0, 0), position(last_id))
            if liveness.update(now) != self.producer_state:
                yield idle()

    def status(self) -> str:
        if self.outage.down:
            return f"{self.key}: Redis unreachable for {self.outage.seconds():.1f} s ({escape(self.outage.error)})"
        junk = f", {self.junk.count} entries skipped as not glyphcast's" if self.junk.count else ""
        producer = "" if self.producer_state == PRODUCER_LIVE else f", producer {self.producer_state}"
        return f"{self.key}: {self.seeks} seeks{junk}{producer}"


def open_redis_source(
    width: int = 80,
    height: int = 24,
    url: str = DEFAULT_URL,
    stream: str = "main",
    block: float = 0.5,
    connect_timeout: float = 1.0,
    exit_on_end: bool = False,
    stall_after: float = 3.0,
    end_after: float = 30.0,
) -> RedisSource:
    """Factory for the ``redis`` source (an edge server's): the producer's stream ``stream`` at ``url``."""
    return RedisSource(
        width,
        height,
        url=url,
        stream=stream,
        block=block,
        connect_timeout=connect_timeout,
        exit_on_end=exit_on_end,
        stall_after=stall_after,
        end_after=end_after,
    )
