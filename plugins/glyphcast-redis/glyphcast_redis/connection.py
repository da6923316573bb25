"""Reaching Redis: one client per display or source, our own reconnect policy, one log line per outage.

redis-py's own retries are turned off (``Retry(NoBackoff(), 0)``): a display
must notice every failed write (the next entry is then a keyframe) and a
source every broken read (it seeks the newest keyframe), so each decides what
a reconnect means, and a source keeps yielding cues while it waits, which
``Retry``'s blocking loop would not let it do. :class:`Backoff` spaces the
attempts with redis-py's own jittered backoff; :class:`Outage` keeps the log
to one line when Redis goes away and one when it is back, never a traceback
per attempt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from glyphcast import OptionError
from glyphcast.logs import escape
from redis.backoff import EqualJitterBackoff, NoBackoff
from redis.retry import Retry

log = logging.getLogger("glyphcast.redis")

DEFAULT_URL = "redis://127.0.0.1:6379/0"

#: What a broken connection or a restarting Redis raises (BusyLoadingError: it is loading its data).
UNREACHABLE: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.BusyLoadingError,
    OSError,
)


class RedisOptionError(OptionError):
    """A ``redis`` display or source option is unusable; the message says which and what to give."""


def redacted(url: str) -> str:
    """``url`` without its password, for logs and status lines."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def client(url: str, connect_timeout: float, timeout: float | None) -> redis.Redis:
    """A client for ``url`` (redis://, rediss://, unix://) that connects lazily and never retries by itself."""
    try:
        return redis.Redis.from_url(
            url,
            socket_connect_timeout=connect_timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
    except ValueError as error:
        raise RedisOptionError(
            f"redis url {redacted(url)!r}: {error} (give url=redis://HOST:PORT/DB, rediss://... or unix://PATH)"
        ) from None


class Backoff:
    """Delays between reconnect attempts: redis-py's :class:`~redis.backoff.EqualJitterBackoff`, doubling from
    ``initial`` up to ``maximum``, each delay half to all of that ceiling, so edges dropped together do not
    come back in lockstep. This class only counts the attempts since the last :meth:`reset`."""

    def __init__(self, initial: float = 0.1, maximum: float = 1.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self.attempt = 0
        self._backoff = EqualJitterBackoff(cap=maximum, base=initial)

    def next(self) -> float:
        """Seconds to wait before the next attempt (from ``initial / 2``, never over ``maximum``)."""
        delay = self._backoff.compute(self.attempt)
        self.attempt += 1
        return delay

    def reset(self) -> None:
        """The next delay is the first again (EqualJitterBackoff keeps no state of its own)."""
        self.attempt = 0


class Outage:
    """Whether Redis is reachable, since when it is not, and the two log lines an outage is worth."""

    def __init__(self, what: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self.clock = clock
        self.since: float | None = None
        self.error = ""
        #: How many times Redis went away.
        self.count = 0

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, error: BaseException, consequence: str) -> None:
        """A command failed: the first failure of an outage is logged (one line), later ones are not."""
        self.error = _describe(error)
        if self.since is None:
            self.since = self.clock()
            self.count += 1
            log.warning("%s: Redis unreachable (%s); %s", self.what, self.error, consequence)

    def recovered(self, detail: str = "") -> float | None:
        """A command succeeded: if Redis was away, say so once and return how long (s)."""
        if self.since is None:
            return None
        lasted = self.clock() - self.since
        self.since, self.error = None, ""
        log.warning("%s: Redis is back after %.1f s%s", self.what, lasted, f"; {detail}" if detail else "")
        return lasted

    def seconds(self) -> float:
        return 0.0 if self.since is None else self.clock() - self.since


def _describe(error: BaseException) -> str:
    """One line for ``error``, escaped: a Redis server's reply is not ours to print raw."""
    text = escape(str(error).strip().splitlines()[0]) if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def close_quietly(connection: Any) -> None:
    try:
        connection.close()
    except Exception as error:  # noqa: BLE001 - closing a client whose server is gone may raise anything; nothing to do
        log.debug("closing a Redis client: %s", error)
