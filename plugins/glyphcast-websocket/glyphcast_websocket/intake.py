"""Which accepted connections start their handshake now, which wait, which are dropped (sans-I/O).

The hub's listener (:mod:`.listener`) accepts TCP connections and asks
:class:`Handshakes` what to do with each; nothing here touches a socket or a
clock (the caller passes ``now``). The rules:

- **In handshake** (TLS, then the HTTP request, then the upgrade) at most
  ``limit`` connections at once. At the limit the listener stops accepting;
  new connections wait in the kernel's listen backlog, not here, and are
  accepted as handshakes finish. Nobody is dropped for being merely the oldest.
- **Per address** (an IPv4 address, an IPv6 /64) at most ``per_address`` of
  those. A further connection from that address *waits*: accepted, but not
  read and without TLS (it costs a descriptor), first come first served, and
  starts when one of its address's handshakes ends. So a burst from one
  address (a NAT, a reverse proxy) all gets in, in turn, while one address
  that opens connections and stays silent holds at most ``per_address`` of
  the ``limit``.
- **Waiting** at most ``waiting`` connections in all. Over that (or when the
  process runs out of descriptors) the newest waiting connection of the
  address with the most waiting ones is dropped: whoever holds the most gives
  way first.
- **Age**: a connection has ``timeout`` seconds for its handshake (TLS
  included) from the moment it starts, and may wait its turn at most
  ``patience`` seconds (twice ``timeout`` unless given: waiting costs only a
  descriptor, and a big burst from one address takes a while to go through);
  past either it is dropped.

Every ticket handed out by :meth:`Handshakes.arrive` ends with one call to
:meth:`Handshakes.settle` from the I/O side (its handshake finished, or its
connection is gone, whoever closed it); settling a dropped ticket is harmless.
"""

from __future__ import annotations

import enum
import ipaddress
from collections import deque
from dataclasses import dataclass, field
from typing import Any

#: Defaults (documented in docs/security.md, "Bounds").
LIMIT = 128
PER_ADDRESS = 32
WAITING = 4096
TIMEOUT = 5.0


class State(enum.Enum):
    WAITING = "waiting"  # accepted, untouched: waits for its address's turn
    ACTIVE = "active"  # in its handshake
    DROPPED = "dropped"  # to be closed by the caller (it is no longer counted)
    DONE = "done"  # settled


@dataclass(eq=False, slots=True)
class Ticket:
    """One accepted connection, from its accept until its handshake ends."""

    prefix: str
    accepted_at: float
    state: State = State.WAITING
    #: When its handshake started (it left the waiting line); its deadline is this plus the timeout.
    started_at: float = 0.0
    #: The policy admitted it as a client (it counts against ``max_clients`` until it is a session).
    admitted: bool = False
    #: Whatever the I/O side keeps for it (the socket, the task, the protocol).
    io: Any = field(default=None, repr=False)


def address_prefix(host: str) -> str:
    """The unit the per-address budget counts: an IPv4 address, or an IPv6 address's /64."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        if mapped is not None:
            return str(mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class Handshakes:
    """The connections between accept and the end of their handshake, and the rules above."""

    def __init__(
        self,
        limit: int = LIMIT,
        per_address: int = PER_ADDRESS,
        waiting: int = WAITING,
        timeout: float = TIMEOUT,
        patience: float | None = None,
    ) -> None:
        if (
            limit < 1
            or per_address < 1
            or waiting < 0
            or timeout <= 0
            or (patience is not None and patience <= 0)
        ):
            raise ValueError(
                "limit and per_address must be at least 1, waiting at least 0, timeouts positive"
            )
        self.limit = limit
        self.per_address = per_address
        self.waiting_limit = waiting
        self.timeout = timeout
        self.patience = 2 * timeout if patience is None else patience
        #: In handshake, in the order they started (so the first is the first to time out).
        self._active: dict[Ticket, None] = {}
        self._active_by_prefix: dict[str, int] = {}
        #: Waiting, in the order they were accepted; and per address, first come first served.
        self._waiting: dict[Ticket, None] = {}
        self._waiting_by_prefix: dict[str, deque[Ticket]] = {}
        #: Why connections were dropped (counted for /metrics): budget, timeout, descriptors, closing.
        self.dropped: dict[str, int] = {}
        self.closed = False

    # -- what the listener asks ----------------------------------------------------
    @property
    def full(self) -> bool:
        """At the in-handshake limit: stop accepting until a handshake ends."""
        return len(self._active) >= self.limit

    def arrive(self, host: str, now: float) -> tuple[Ticket, list[Ticket]]:
        """A connection from ``host`` was accepted: its ticket (ACTIVE: start it; WAITING: hold it;
        DROPPED: close it), and waiting tickets dropped to make room (close them)."""
        ticket = Ticket(address_prefix(host), now)
        if self.closed:
            return self._drop(ticket, "closing"), []
        if self._active_by_prefix.get(ticket.prefix, 0) < self.per_address:
            # The listener accepts only below ``limit``, so only its address's budget is checked here
            # (and a waiting connection's address is always at its budget: its turn comes when one ends).
            self._start(ticket, now)
            return ticket, []
        shed: list[Ticket] = []
        if len(self._waiting) >= self.waiting_limit:
            victim = self._heaviest_waiting(ticket.prefix)
            if victim is None:
                return self._drop(ticket, "budget"), []
            shed.append(self._unwait(victim, "budget"))
        self._waiting[ticket] = None
        self._waiting_by_prefix.setdefault(ticket.prefix, deque()).append(ticket)
        return ticket, shed

    def settle(self, ticket: Ticket, now: float) -> list[Ticket]:
        """``ticket``'s handshake ended or its connection is gone; the waiting tickets to start now."""
        if ticket.state is State.ACTIVE:
            del self._active[ticket]
            self._count(ticket.prefix, -1)
        elif ticket.state is State.WAITING:
            self._unwait(ticket, None)
        ticket.state = State.DONE
        return self._promote(ticket.prefix, now)

    def overdue(self, now: float) -> tuple[list[Ticket], list[Ticket]]:
        """Tickets past their deadline, dropped (close them), and the waiting tickets that start in their place."""
        late = []
        for ticket in self._waiting:
            if now - ticket.accepted_at < self.patience:
                break
            late.append(ticket)
        for ticket in late:
            self._unwait(ticket, "timeout")
        started = []
        while self._active:
            ticket = next(iter(self._active))
            if now - ticket.started_at < self.timeout:
                break
            del self._active[ticket]
            self._count(ticket.prefix, -1)
            late.append(self._drop(ticket, "timeout"))
            started += self._promote(ticket.prefix, now)
        return late, started

    def shed(self, count: int) -> list[Ticket]:
        """Out of descriptors: up to ``count`` waiting tickets to close, newest of the heaviest address first."""
        shed: list[Ticket] = []
        while len(shed) < count:
            victim = self._heaviest_waiting(None)
            if victim is None:
                break
            shed.append(self._unwait(victim, "descriptors"))
        return shed

    def close(self) -> list[Ticket]:
        """The server is stopping: every ticket is dropped (close them); later arrivals too."""
        self.closed = True
        everyone = [*self._waiting, *self._active]
        for ticket in everyone:
            ticket.state = State.DROPPED
        self._active.clear()
        self._active_by_prefix.clear()
        self._waiting.clear()
        self._waiting_by_prefix.clear()
        return everyone

    # -- counts ----------------------------------------------------------------------
    @property
    def active(self) -> int:
        return len(self._active)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def admitted(self) -> int:
        """Handshakes the policy admitted as clients that are not sessions yet."""
        return sum(1 for ticket in self._active if ticket.admitted)

    def __len__(self) -> int:
        return len(self._active) + len(self._waiting)

    # -- internals -----------------------------------------------------------------
    def _start(self, ticket: Ticket, now: float) -> None:
        ticket.state = State.ACTIVE
        ticket.started_at = now
        self._active[ticket] = None
        self._count(ticket.prefix, 1)

    def _count(self, prefix: str, step: int) -> None:
        left = self._active_by_prefix.get(prefix, 0) + step
        if left > 0:
            self._active_by_prefix[prefix] = left
        else:
            self._active_by_prefix.pop(prefix, None)

    def _promote(self, prefix: str, now: float) -> list[Ticket]:
        line = self._waiting_by_prefix.get(prefix)
        started = []
        while line and self._active_by_prefix.get(prefix, 0) < self.per_address:
            ticket = line.popleft()
            del self._waiting[ticket]
            self._start(ticket, now)
            started.append(ticket)
        if not line:
            self._waiting_by_prefix.pop(prefix, None)
        return started

    def _heaviest_waiting(self, arriving: str | None) -> Ticket | None:
        """The newest waiting ticket of the address with the most waiting (None if that is ``arriving``'s)."""
        if not self._waiting_by_prefix:
            return None
        prefix, line = max(self._waiting_by_prefix.items(), key=lambda item: len(item[1]))
        if arriving is not None and len(self._waiting_by_prefix.get(arriving, ())) >= len(line):
            return None  # the arriving connection's own address holds the most: it is the one to go
        return line[-1]

    def _unwait(self, ticket: Ticket, reason: str | None) -> Ticket:
        del self._waiting[ticket]
        line = self._waiting_by_prefix[ticket.prefix]
        if line[0] is ticket:  # overdue: the oldest
            line.popleft()
        elif line[-1] is ticket:  # shed: the newest
            line.pop()
        else:
            line.remove(ticket)
        if not line:
            del self._waiting_by_prefix[ticket.prefix]
        if reason is not None:
            self._drop(ticket, reason)
        return ticket

    def _drop(self, ticket: Ticket, reason: str) -> Ticket:
        ticket.state = State.DROPPED
        self.dropped[reason] = self.dropped.get(reason, 0) + 1
        return ticket
