"""How much controller input a program gets (sans-I/O: a token bucket on an injected clock).

A controller's ``input`` becomes keystrokes to a real program, often a shell.
The hub already bounds messages per client; this bounds bytes per program,
across every controller, so a runaway script in a browser cannot bury the
program (or the person sharing it) in keystrokes. A message is taken whole or
dropped whole: half a paste, or half an escape sequence, would be worse than none.
"""

from __future__ import annotations

from glyphcast.clock import MONOTONIC, Clock
from glyphcast.ratelimit import TokenBucket

#: Sustained bytes per second: far above typing, enough for a few pastes a second.
DEFAULT_RATE = 8 * 1024
#: Bytes that may arrive at once: the largest ``input`` the hub accepts (16 Ki characters)
#: is at most 64 KiB of UTF-8; a typical paste is a few KiB.
DEFAULT_BURST = 64 * 1024


class InputBudget(TokenBucket):
    """A token bucket of bytes (:class:`glyphcast.ratelimit.TokenBucket`): ``take(n)`` is True when
    ``n`` bytes fit now (and spends them)."""

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: float = DEFAULT_BURST,
        clock: Clock = MONOTONIC,
    ) -> None:
        if not (rate > 0 and burst > 0):
            raise ValueError(f"input rate and burst must be positive, not {rate} and {burst}")
        super().__init__(rate, burst, clock)


class DropReport:
    """Says what was dropped at most once per ``interval`` seconds: one clear line, not one per message."""

    def __init__(self, interval: float = 5.0, clock: Clock = MONOTONIC) -> None:
        self.interval = interval
        self.clock = clock
        self._next = -float("inf")
        self.messages = 0
        self.size = 0

    def dropped(self, size: int) -> tuple[int, int] | None:
        """Count one dropped message of ``size`` bytes; (messages, bytes) since the last report when one is due."""
        self.messages += 1
        self.size += size
        now = self.clock.now()
        if now < self._next:
            return None
        self._next = now + self.interval
        report = (self.messages, self.size)
        self.messages = self.size = 0
        return report
