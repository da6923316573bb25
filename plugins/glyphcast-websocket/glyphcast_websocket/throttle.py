"""Wrong tokens, counted per address, per address prefix and in total (sans-I/O).

A wrong token is counted three times: for the client's address (an IPv4
address; an IPv6 /64, which one host usually owns whole), for its prefix (IPv4
/24, IPv6 /48: one network, or one attacker rotating through it), and in the
total over every address. Over any one budget, wrong tokens are answered 429
and not counted (so hammering does not make the wait longer); whatever the
addresses, no more than :data:`TOTAL_LIMIT` wrong tokens are counted in any
:data:`WINDOW` seconds. The throttle is only ever asked about wrong tokens:
the right token is compared first and always admitted (see
:meth:`~glyphcast_websocket.security.Policy.admit`).

Memory is bounded whatever the addresses; time comes in as ``now`` (any
monotonic clock), so tests need no sleeping.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from glyphcast_websocket.forwarded import parse_address

#: Wrong tokens counted within :data:`WINDOW` seconds from one address; over it => 429.
ADDRESS_LIMIT = 5
#: ... from one prefix (IPv4 /24, IPv6 /48).
PREFIX_LIMIT = 20
#: ... from every address together.
TOTAL_LIMIT = 50
#: The window (seconds) the limits count over.
WINDOW = 10.0
#: Keys remembered per table (addresses, prefixes); the least recently failing one is forgotten beyond this.
MAX_TRACKED_ADDRESSES = 4096
#: Prefix lengths: what one address is (IPv6 /64) and what one prefix is (IPv4 /24, IPv6 /48).
IPV6_ADDRESS_BITS = 64
IPV4_PREFIX_BITS = 24
IPV6_PREFIX_BITS = 48


def _network(address: ipaddress.IPv4Address | ipaddress.IPv6Address, bits: int) -> str:
    width = address.max_prefixlen
    return str(ipaddress.ip_network((int(address) >> (width - bits) << (width - bits), bits)))


def throttle_keys(client: str) -> tuple[str, str]:
    """(address key, prefix key) of a client address: IPv4 itself and its /24, IPv6 its /64 and its /48."""
    address = parse_address(client)
    if address is None:
        return client, client  # not an IP address (a Unix socket's peer): one key of its own
    if isinstance(address, ipaddress.IPv4Address):
        return str(address), _network(address, IPV4_PREFIX_BITS)
    return _network(address, IPV6_ADDRESS_BITS), _network(address, IPV6_PREFIX_BITS)


@dataclass(slots=True)
class FailureThrottle:
    """``limit`` failures within ``window`` seconds from one key => throttled until the oldest ages out.

    Memory is bounded: at most ``max_keys`` keys, the least recently failing
    one forgotten first. Time comes in as ``now`` (any monotonic clock).
    """

    limit: int = ADDRESS_LIMIT
    window: float = WINDOW
    max_keys: int = MAX_TRACKED_ADDRESSES
    _failures: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` is under its limit again; 0.0 when it is under it now."""
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


TOTAL = "*"  # the total's one key


@dataclass(slots=True)
class GuessThrottle:
    """Wrong tokens per address, per prefix and in total; see the module docstring.

    Ask :meth:`retry_after` before counting a wrong token, and :meth:`failed`
    only when it was 0 (a throttled guess is not counted).
    """

    address_limit: int = ADDRESS_LIMIT
    prefix_limit: int = PREFIX_LIMIT
    total_limit: int = TOTAL_LIMIT
    window: float = WINDOW
    max_keys: int = MAX_TRACKED_ADDRESSES
    addresses: FailureThrottle = field(init=False)
    prefixes: FailureThrottle = field(init=False)
    total: FailureThrottle = field(init=False)

    def __post_init__(self) -> None:
        self.addresses = FailureThrottle(self.address_limit, self.window, self.max_keys)
        self.prefixes = FailureThrottle(self.prefix_limit, self.window, self.max_keys)
        self.total = FailureThrottle(self.total_limit, self.window, 1)

    def retry_after(self, client: str, now: float) -> float:
        """Seconds until a wrong token from ``client`` would be counted again; 0.0 if it would be now."""
        address, prefix = throttle_keys(client)
        return max(
            self.addresses.retry_after(address, now),
            self.prefixes.retry_after(prefix, now),
            self.total.retry_after(TOTAL, now),
        )

    def failed(self, client: str, now: float) -> None:
        """Count one wrong token from ``client``."""
        address, prefix = throttle_keys(client)
        self.addresses.failed(address, now)
        self.prefixes.failed(prefix, now)
        self.total.failed(TOTAL, now)

    def tracked(self) -> int:
        """Keys remembered in all (bounded: twice ``max_keys`` plus one)."""
        return len(self.addresses) + len(self.prefixes) + len(self.total)
