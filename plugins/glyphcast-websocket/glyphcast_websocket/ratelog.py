"""Rate-limited logging: one line per key per interval, then a count of what was suppressed.

A client that sends a million bad messages, or a thousand connections that fail
their handshake, must not write a million log lines. Per key (a kind of event,
e.g. ``"bad-token"`` or ``("bad-message", client_id)``) the first event of an
interval is logged; later ones in the same interval are only counted, and the
next line logged for that key ends with ``"(N more suppressed)"``.
:meth:`RateLimitedLog.flush` logs the counts of quiet keys whose interval is
over, so a burst's count is not lost when the burst simply stops: the hub
calls it once an interval from a timer on its loop.

Memory and log volume are bounded whatever the keys are: at most ``max_keys``
keys are remembered (the oldest forgotten first, its count flushed), and at
most ``max_lines`` lines per interval are written across all keys; beyond that,
lines are counted and summed up in one line when the budget returns.

Time is read from ``clock`` (a :class:`~glyphcast.clock.Clock`: real time by default, a
:class:`~glyphcast.clock.FakeClock` in tests)::

    ratelog = RateLimitedLog(logging.getLogger("glyphcast.websocket"), interval=10.0)
    ratelog.warning("bad-token", "refused a WebSocket from %s: %s", remote, reason)
    ratelog.exception(("send", session_id), "could not send to client %s", session_id)
"""

from __future__ import annotations

import logging
import sys
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from glyphcast.clock import MONOTONIC, Clock

#: Seconds between two lines for one key.
DEFAULT_INTERVAL = 10.0
#: Keys remembered at once.
DEFAULT_MAX_KEYS = 1024
#: Lines per interval across every key.
DEFAULT_MAX_LINES = 100


@dataclass(slots=True)
class _Entry:
    since: float  # when the line that opened this interval was logged
    suppressed: int
    level: int
    msg: str
    args: tuple[Any, ...]


class RateLimitedLog:
    """Log through ``logger`` at most once per ``interval`` seconds per key."""

    def __init__(
        self,
        logger: logging.Logger,
        interval: float = DEFAULT_INTERVAL,
        *,
        max_keys: int = DEFAULT_MAX_KEYS,
        max_lines: int = DEFAULT_MAX_LINES,
        clock: Clock = MONOTONIC,
    ) -> None:
        if interval <= 0 or max_keys < 1 or max_lines < 1:
            raise ValueError("interval must be positive; max_keys and max_lines at least 1")
        self.logger = logger
        self.interval = interval
        self.max_keys = max_keys
        self.max_lines = max_lines
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._budget_since = clock.now()
        self._budget_used = 0
        self._over_budget = 0  # lines not written because of the global budget

    # -- levels --------------------------------------------------------------------
    def debug(self, key: Hashable, msg: str, *args: Any) -> bool:
        return self.log(logging.DEBUG, key, msg, *args)

    def info(self, key: Hashable, msg: str, *args: Any) -> bool:
        return self.log(logging.INFO, key, msg, *args)

    def warning(self, key: Hashable, msg: str, *args: Any) -> bool:
        return self.log(logging.WARNING, key, msg, *args)

    def error(self, key: Hashable, msg: str, *args: Any) -> bool:
        return self.log(logging.ERROR, key, msg, *args)

    def exception(self, key: Hashable, msg: str, *args: Any) -> bool:
        """ERROR with the current traceback, but one traceback per key per interval at most."""
        return self.log(logging.ERROR, key, msg, *args, exc_info=True)

    # -- the rule ------------------------------------------------------------------
    def log(self, level: int, key: Hashable, msg: str, *args: Any, exc_info: bool = False) -> bool:
        """Log now, or count it as suppressed; True if a line was written."""
        if not self.logger.isEnabledFor(level):
            return False  # below the logger's level: nothing to limit, nothing to count
        now = self._clock.now()
        entry = self._entries.get(key)
        if entry is not None and now - entry.since < self.interval:
            entry.suppressed += 1
            entry.level, entry.msg, entry.args = level, msg, args
            return False
        suppressed = entry.suppressed if entry is not None else 0
        if not self._spend(now):
            if entry is not None:
                entry.suppressed += 1
            else:
                self._over_budget += 1
            return False
        if entry is None:
            entry = self._remember(key, now, level, msg, args)
        else:
            self._entries.move_to_end(key)
            entry.since, entry.suppressed = now, 0
            entry.level, entry.msg, entry.args = level, msg, args
        self._emit(level, msg, args, suppressed, exc_info)
        return True

    def flush(self) -> int:
        """Log the suppressed counts of keys whose interval is over; return how many lines.

        Call it periodically (the hub does, every ``interval``, on its loop): a key's
        count is otherwise written only when that key logs again.
        """
        now = self._clock.now()
        written = 0
        for key, entry in list(self._entries.items()):
            if now - entry.since < self.interval:
                continue
            if entry.suppressed:
                if not self._spend(now):
                    break
                self._emit(entry.level, entry.msg, entry.args, entry.suppressed, False)
                written += 1
            del self._entries[key]  # quiet for a whole interval: the next event logs at once
        return written

    def __len__(self) -> int:
        return len(self._entries)

    # -- internals -----------------------------------------------------------------
    def _remember(self, key: Hashable, now: float, level: int, msg: str, args: tuple[Any, ...]) -> _Entry:
        entry = self._entries[key] = _Entry(now, 0, level, msg, args)
        while len(self._entries) > self.max_keys:
            _, oldest = self._entries.popitem(last=False)
            if oldest.suppressed:
                # its count would be lost: fold it into the global summary instead
                self._over_budget += oldest.suppressed
        return entry

    def _spend(self, now: float) -> bool:
        """Take one line from the global budget; on a new budget interval, report what the last one lost."""
        if now - self._budget_since >= self.interval:
            self._budget_since, self._budget_used = now, 0
            if self._over_budget:
                lost, self._over_budget = self._over_budget, 0
                self._budget_used += 1
                self.logger.warning("(%d more log lines suppressed: too many kinds of events at once)", lost)
        if self._budget_used >= self.max_lines:
            return False
        self._budget_used += 1
        return True

    def _emit(self, level: int, msg: str, args: tuple[Any, ...], suppressed: int, exc_info: bool) -> None:
        if suppressed:
            msg, args = msg + " (%d more suppressed)", (*args, suppressed)
        self.logger.log(level, msg, *args, exc_info=exc_info)


class LibraryLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A library's logger (websockets' ``logger=``) whose errors go through a :class:`RateLimitedLog`.

    websockets logs an ERROR with a traceback for each connection whose
    handshake or handler fails in a way it did not foresee. Here those lines
    are rate-limited per message and exception type (so at most one traceback
    per kind per interval), with the exception's type and escaped text, and
    ``counted(cause)`` is told of each; lines below WARNING pass through unchanged.
    """

    def __init__(
        self, logger: logging.Logger, ratelog: RateLimitedLog, counted: Callable[[str], None]
    ) -> None:
        super().__init__(logger, {})
        self.ratelog = ratelog
        self.counted = counted

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if level < logging.WARNING:
            self.logger.log(level, msg, *args, **kwargs)
            return
        exc_info = kwargs.get("exc_info")
        error = (
            sys.exc_info()[1]
            if exc_info is True
            else exc_info
            if isinstance(exc_info, BaseException)
            else None
        )
        cause = type(error).__name__ if error is not None else "error"
        self.counted(cause)
        text = repr(str(error))[:200] if error is not None else ""
        self.ratelog.log(
            level,
            ("library", str(msg), cause),
            str(msg) + " (%s %s)",
            *args,
            cause,
            text,
            exc_info=error is not None,
        )
