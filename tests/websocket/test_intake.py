"""The admission rules of glyphcast_websocket.intake, without sockets or a clock."""

from __future__ import annotations

import pytest
from glyphcast_websocket.intake import Handshakes, State, address_prefix


def test_one_address_holds_at_most_its_budget_and_the_rest_wait_their_turn_in_order() -> None:
    handshakes = Handshakes(limit=100, per_address=2, waiting=10, timeout=5)
    tickets = [handshakes.arrive("10.0.0.1", 0.0)[0] for _ in range(4)]
    assert [t.state for t in tickets] == [State.ACTIVE, State.ACTIVE, State.WAITING, State.WAITING]
    other, _ = handshakes.arrive("10.0.0.2", 0.0)
    assert other.state is State.ACTIVE  # another address is not held up
    assert handshakes.settle(tickets[1], 1.0) == [tickets[2]]  # first come, first served
    assert tickets[2].state is State.ACTIVE and tickets[2].started_at == 1.0
    assert handshakes.settle(tickets[0], 1.0) == [tickets[3]]
    assert handshakes.active == 3 and handshakes.waiting == 0


def test_at_the_limit_the_listener_is_told_to_stop_accepting_and_nobody_is_dropped() -> None:
    handshakes = Handshakes(limit=3, per_address=10, waiting=10, timeout=5)
    tickets = [handshakes.arrive(f"10.0.0.{n}", 0.0)[0] for n in range(3)]
    assert handshakes.full and all(t.state is State.ACTIVE for t in tickets)
    handshakes.settle(tickets[0], 0.5)
    assert not handshakes.full and not handshakes.dropped


def test_with_too_many_waiting_the_heaviest_address_gives_way() -> None:
    handshakes = Handshakes(limit=100, per_address=1, waiting=3, timeout=5)
    for host in ("10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2"):
        handshakes.arrive(host, 0.0)
    newest = handshakes.arrive("10.0.0.2", 0.0)[0]  # waiting is full: 10.0.0.1 holds the most
    assert newest.state is State.WAITING
    ticket, shed = handshakes.arrive("10.0.0.1", 0.0)
    assert ticket.state is State.DROPPED and not shed  # the heaviest address's own newcomer goes
    assert handshakes.dropped == {"budget": 1}


def test_a_silent_handshake_and_a_long_wait_are_dropped_by_age_and_the_next_starts() -> None:
    handshakes = Handshakes(limit=100, per_address=1, waiting=10, timeout=5, patience=5)
    first, _ = handshakes.arrive("10.0.0.1", 0.0)
    second, _ = handshakes.arrive("10.0.0.1", 1.0)
    assert handshakes.overdue(4.9) == ([], [])
    late, started = handshakes.overdue(5.0)
    assert late == [first] and started == [second] and second.started_at == 5.0
    late, started = handshakes.overdue(10.0)
    assert late == [second] and handshakes.dropped == {"timeout": 2}
    assert handshakes.settle(first, 10.0) == []  # settling a dropped ticket is harmless


def test_a_connection_waits_its_turn_twice_as_long_as_a_handshake_may_take() -> None:
    handshakes = Handshakes(limit=100, per_address=1, waiting=10, timeout=5)
    handshakes.arrive("10.0.0.1", 0.0)
    waiting, _ = handshakes.arrive("10.0.0.1", 0.0)
    handshakes.arrive("10.0.0.1", 4.0)
    late, started = handshakes.overdue(5.0)  # the first handshake is late; the first waiting one starts
    assert started == [waiting]
    late, _ = handshakes.overdue(9.9)
    assert late == [] and handshakes.waiting == 1
    late, _ = handshakes.overdue(14.0)
    assert handshakes.waiting == 0 and len(late) == 2  # waited 10 s; and the started one timed out


def test_out_of_descriptors_the_newest_waiting_of_the_heaviest_address_are_shed() -> None:
    handshakes = Handshakes(limit=100, per_address=1, waiting=10, timeout=5)
    tickets = [handshakes.arrive("10.0.0.1", float(n))[0] for n in range(4)]
    handshakes.arrive("10.0.0.2", 0.0)
    handshakes.arrive("10.0.0.2", 0.0)
    assert handshakes.shed(2) == [tickets[3], tickets[2]]


def test_closing_drops_everyone_and_everyone_after() -> None:
    handshakes = Handshakes(limit=100, per_address=1, waiting=10, timeout=5)
    a, _ = handshakes.arrive("10.0.0.1", 0.0)
    b, _ = handshakes.arrive("10.0.0.1", 0.0)
    assert set(handshakes.close()) == {a, b} and len(handshakes) == 0
    assert handshakes.arrive("10.0.0.3", 1.0)[0].state is State.DROPPED


@pytest.mark.parametrize(
    ("host", "prefix"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("", ""),
    ],
)
def test_the_budget_counts_ipv4_addresses_and_ipv6_64s(host: str, prefix: str) -> None:
    assert address_prefix(host) == prefix
