"""A token bucket (sans-I/O: time comes from an injected clock): the one rate limit every part uses.

The hub meters each client's messages with one (a unit per message); a shared
program's controller input is metered with one in bytes (``glyphcast_pty``).
The bucket's "tokens" are units of allowance, nothing to do with the view and
control tokens that admit clients.
"""

from __future__ import annotations

from glyphcast.clock import MONOTONIC, Clock


class TokenBucket:
    """Allow ``rate`` units per second on average and ``burst`` at once (``rate`` 0: ``burst`` in all).

    ``take(n)`` is True when ``n`` units fit now, and spends them; otherwise it
    spends nothing, so a message is taken whole or refused whole.
    """

    def __init__(self, rate: float, burst: float, clock: Clock = MONOTONIC) -> None:
        if not (rate >= 0 and burst > 0):
            raise ValueError(f"a rate must be 0 or more and a burst positive, not {rate} and {burst}")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._units = burst
        self._at = clock.now()

    def take(self, units: float = 1.0) -> bool:
        """Spend ``units`` if they fit now; False (nothing spent) if they do not."""
        now = self.clock.now()
        self._units = min(self.burst, self._units + (now - self._at) * self.rate)
        self._at = now
        if units > self._units:
            return False
        self._units -= units
        return True


__all__ = ["TokenBucket"]
