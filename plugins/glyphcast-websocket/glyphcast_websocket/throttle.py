"""Failed token attempts, counted per address (sans-I/O): after too many, an address waits.

Memory is bounded whatever the addresses; time comes in as ``now`` (any
monotonic clock), so tests need no sleeping.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from glyphcast_websocket.hosts import _ip

#: ``FAILURE_LIMIT`` failures within ``FAILURE_WINDOW`` s => refused (429) until the oldest ages out.
FAILURE_LIMIT = 5
FAILURE_WINDOW = 10.0
#: Addresses remembered; the least recently failing one is forgotten beyond this.
MAX_TRACKED_ADDRESSES = 4096


def throttle_key(remote: str) -> str:
    """Failures count per IPv4 address and per IPv6 /64 (one host usually owns a whole /64)."""
    address = _ip(remote.strip("[]").split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        if mapped is not None:
            return str(mapped)
        return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))
    return str(address) if address is not None else remote


@dataclass(slots=True)
class FailureThrottle:
    """``limit`` failures within ``window`` seconds from one key => refused until the oldest ages out.

    Memory is bounded: at most ``max_keys`` keys, the least recently failing
    one forgotten first. Time comes in as ``now`` (any monotonic clock).
    """

    limit: int = FAILURE_LIMIT
    window: float = FAILURE_WINDOW
    max_keys: int = MAX_TRACKED_ADDRESSES
    _failures: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again; 0.0 when it may try now."""
        failures = self._failures.get(key)
        if failures is None:
            return 0.0
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return 0.0
        if len(failures) < self.limit:
            return 0.0
        return max(0.0, failures[0] + self.window - now)

    def failed(self, key: str, now: float) -> None:
        failures = self._failures.get(key)
        if failures is None:
            failures = self._failures[key] = deque(maxlen=self.limit)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)
        else:
            self._failures.move_to_end(key)
        failures.append(now)

    def __len__(self) -> int:
        return len(self._failures)
