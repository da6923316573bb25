"""Who gets in and who is throttled, without sockets: guessing budgets, trusted proxies, token strength,
controller slots. Time is a number handed to the policy: nothing here sleeps."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Sequence
from typing import Any

import pytest
from glyphcast_websocket.credentials import MIN_TOKEN_BITS, token_bits
from glyphcast_websocket.decisions import Admission, Handshake, Refusal
from glyphcast_websocket.security import CONTROLLER, CONTROLLER_SLOTS, VIEWER, Policy
from glyphcast_websocket.testing import CONTROL_TOKEN, VIEW_TOKEN
from glyphcast_websocket.throttle import (
    ADDRESS_LIMIT,
    PREFIX_LIMIT,
    TOTAL_LIMIT,
    WINDOW,
    GuessThrottle,
    throttle_keys,
)
from hypothesis import given, settings
from hypothesis import strategies as st

PORT = 8765
WRONG = "wrong-token-wrong-token-wrong-token"


def upgrade(token: str | None = None, *headers: tuple[str, str]) -> Handshake:
    lines = [("Host", f"127.0.0.1:{PORT}"), *headers]
    if token is not None:
        lines.append(("Authorization", f"Bearer {token}"))
    return Handshake("GET", "/ws", tuple(lines), upgrade=True)


def status(decision: Admission | Refusal) -> int:
    return decision.status if isinstance(decision, Refusal) else 101


def answered_403(policy: Policy, guesses: Sequence[tuple[str, float, tuple[tuple[str, str], ...]]]) -> int:
    """How many of ``guesses`` (remote, now, extra headers) were told "invalid token" (403) rather than 429."""
    statuses = [
        status(policy.admit(upgrade(WRONG, *headers), remote, now)) for remote, now, headers in guesses
    ]
    assert set(statuses) <= {403, 429}, statuses
    return statuses.count(403)


def test_the_documented_budgets() -> None:
    # docs/security.md states these numbers; change both together
    assert (ADDRESS_LIMIT, PREFIX_LIMIT, TOTAL_LIMIT, WINDOW) == (5, 20, 50, 10.0)
    assert CONTROLLER_SLOTS == 8 and MIN_TOKEN_BITS == 128


# -- guessing budgets: per address, per prefix, in total -----------------------------------
def test_rotating_source_addresses_across_127_8_gets_no_more_than_the_total_budget() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN)
    rng = random.Random(8)
    # the red team's 4,453 guesses a second, each from a fresh loopback address, for 20 s
    guesses = [
        (f"127.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}", i / 4453, ())
        for i in range(20 * 4453)
    ]
    counted = answered_403(policy, guesses)
    assert counted <= TOTAL_LIMIT * (20 / WINDOW), f"{counted} wrong tokens counted in 20 s"
    assert counted >= TOTAL_LIMIT  # the budget is spent, not zero


def test_rotating_addresses_within_one_slash_24_meets_the_prefix_budget() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN)
    guesses = [(f"198.51.100.{i % 250 + 1}", i * 0.01, ()) for i in range(250)]  # 2.5 s, 250 addresses
    assert answered_403(policy, guesses) == PREFIX_LIMIT
    # another /24 has a budget of its own (the total is not spent yet)
    assert status(policy.admit(upgrade(WRONG), "198.51.101.1", 2.5)) == 403


def test_ipv6_guessing_counts_per_slash_64_and_per_slash_48() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN)
    same_64 = [(f"2001:db8:0:1::{i:x}", i * 0.01, ()) for i in range(1, 30)]
    assert answered_403(policy, same_64) == ADDRESS_LIMIT
    same_48 = [(f"2001:db8:0:{i:x}::1", 1 + i * 0.01, ()) for i in range(2, 60)]
    assert answered_403(policy, same_48) == PREFIX_LIMIT - ADDRESS_LIMIT
    assert throttle_keys("2001:db8::1") == ("2001:db8::/64", "2001:db8::/48")
    assert throttle_keys("::ffff:192.0.2.1") == ("192.0.2.1", "192.0.2.0/24")
    assert throttle_keys("192.0.2.1") == ("192.0.2.1", "192.0.2.0/24")


def test_throttled_wrong_tokens_are_not_counted_so_the_wait_does_not_grow() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN)
    for i in range(ADDRESS_LIMIT):
        assert status(policy.admit(upgrade(WRONG), "192.0.2.1", i * 0.1)) == 403
    for i in range(1000):  # hammering while throttled
        refused = policy.admit(upgrade(WRONG), "192.0.2.1", 1.0 + i * 0.008)
        assert isinstance(refused, Refusal) and refused.status == 429 and refused.log_key == "throttled"
    assert (
        status(policy.admit(upgrade(WRONG), "192.0.2.1", WINDOW + 0.01)) == 403
    )  # the first failure aged out


def test_missing_and_unreadable_tokens_are_not_guesses() -> None:
    policy = Policy(port=PORT, token=VIEW_TOKEN)
    for i in range(50):
        assert status(policy.admit(upgrade(), "192.0.2.1", i * 0.01)) == 403
        assert (
            status(policy.admit(upgrade(None, ("Authorization", "Basic eA==")), "192.0.2.1", i * 0.01)) == 400
        )
    assert status(policy.admit(upgrade(WRONG), "192.0.2.1", 1.0)) == 403  # not throttled


def test_the_guess_tables_stay_bounded_whatever_the_addresses() -> None:
    throttle = GuessThrottle(max_keys=100, total_limit=10**9)  # no total budget: every guess is recorded
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN, throttle=throttle)
    for i in range(20_000):
        policy.admit(upgrade(WRONG), str(ipaddress.IPv4Address(0x0A000000 + i * 257)), i * 0.0001)
        policy.admit(upgrade(WRONG), str(ipaddress.IPv6Address((0x20010DB8 << 96) + (i << 80))), i * 0.0001)
    assert throttle.tracked() <= 2 * 100 + 1


# -- the right token always gets in ---------------------------------------------------------
def test_the_right_token_is_admitted_while_its_address_prefix_and_the_total_are_throttled() -> None:
    policy = Policy(port=PORT, token=VIEW_TOKEN, control_token=CONTROL_TOKEN)
    for i in range(TOTAL_LIMIT * 4):
        policy.admit(upgrade(WRONG), f"192.0.{i % 60}.1", i * 0.001)
    assert status(policy.admit(upgrade(WRONG), "192.0.2.1", 1.0)) == 429
    assert status(policy.admit(upgrade(WRONG), "203.0.113.1", 1.0)) == 429  # the total is spent too
    assert policy.admit(upgrade(CONTROL_TOKEN), "192.0.2.1", 1.0) == Admission(CONTROLLER)
    assert policy.admit(upgrade(VIEW_TOKEN), "192.0.2.1", 1.0) == Admission(VIEWER)
    assert policy.admit(upgrade(CONTROL_TOKEN), "203.0.113.1", 1.0) == Admission(CONTROLLER)


def test_without_a_view_token_a_throttled_address_still_watches() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN)
    for i in range(ADDRESS_LIMIT):
        policy.admit(upgrade(WRONG), "192.0.2.1", i * 0.1)
    assert policy.admit(upgrade(), "192.0.2.1", 1.0) == Admission(VIEWER)  # no token, no guess


events = st.lists(
    st.tuples(
        st.sampled_from(
            ["192.0.2.1", "192.0.2.2", "198.51.100.7", "2001:db8::1", "2001:db8:0:1::1", "127.0.0.1"]
        ),
        st.sampled_from(["wrong", "none", "control", "view", "garbage"]),
        st.floats(min_value=0.0, max_value=3.0),
        st.sampled_from([(), (("X-Forwarded-For", "203.0.113.5"),), (("Forwarded", "for=203.0.113.6"),)]),
    ),
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(
    history=events,
    remote=st.sampled_from(["192.0.2.1", "198.51.100.7", "2001:db8::1", "127.0.0.1", "203.0.113.5"]),
    role=st.sampled_from([CONTROLLER, VIEWER]),
    trusted=st.sampled_from([(), ("127.0.0.1",), ("0.0.0.0/0", "::/0")]),
    extra=st.sampled_from([(), (("X-Forwarded-For", "203.0.113.5"),), (("X-Forwarded-For", "garbage"),)]),
    connected=st.integers(min_value=0, max_value=10),
)
def test_the_right_token_is_always_admitted_whatever_the_throttle_state(
    history: list[tuple[str, str, float, tuple[tuple[str, str], ...]]],
    remote: str,
    role: str,
    trusted: tuple[str, ...],
    extra: tuple[tuple[str, str], ...],
    connected: int,
) -> None:
    policy = Policy(
        port=PORT, token=VIEW_TOKEN, control_token=CONTROL_TOKEN, trusted_proxies=trusted, max_clients=10
    )
    tokens = {"wrong": WRONG, "none": None, "control": CONTROL_TOKEN, "view": VIEW_TOKEN, "garbage": "x"}
    now = 0.0
    for address, kind, step, headers in history:
        now += step / 50  # bursts: many events within one window
        policy.admit(upgrade(tokens[kind], *headers), address, now)
    token = CONTROL_TOKEN if role == CONTROLLER else VIEW_TOKEN
    decision = policy.admit(
        upgrade(token, *extra), remote, now, connected=connected if role == CONTROLLER else 0
    )
    assert decision == Admission(role)


# -- trusted proxies ---------------------------------------------------------------------
def forwarded_for(*entries: str) -> tuple[str, str]:
    return ("X-Forwarded-For", ", ".join(entries))


@pytest.mark.parametrize(
    ("trusted", "peer", "headers", "client"),
    [
        # without trusted_proxies, headers are never read
        ((), "127.0.0.1", (forwarded_for("203.0.113.9"),), "127.0.0.1"),
        ((), "127.0.0.1", (("Forwarded", "for=203.0.113.9"),), "127.0.0.1"),
        # from a trusted proxy: the right-most address that is not a trusted proxy itself
        (("127.0.0.1",), "127.0.0.1", (forwarded_for("203.0.113.9"),), "203.0.113.9"),
        (("127.0.0.1",), "127.0.0.1", (forwarded_for("6.6.6.6", "203.0.113.9"),), "203.0.113.9"),
        (
            ("127.0.0.1", "10.0.0.0/8"),
            "127.0.0.1",
            (forwarded_for("6.6.6.6", "203.0.113.9", "10.1.2.3"),),
            "203.0.113.9",
        ),
        (
            ("127.0.0.1",),
            "127.0.0.1",
            (forwarded_for("6.6.6.6"), forwarded_for("203.0.113.9")),
            "203.0.113.9",
        ),
        (
            ("127.0.0.0/8",),
            "127.0.0.2",
            (forwarded_for("127.0.0.3"),),
            "127.0.0.3",
        ),  # all trusted: the left-most
        (("127.0.0.1",), "::ffff:127.0.0.1", (forwarded_for("203.0.113.9"),), "203.0.113.9"),
        (("::1",), "::1", (forwarded_for("2001:db8::5"),), "2001:db8::5"),
        (("127.0.0.1",), "127.0.0.1", (forwarded_for("[2001:db8::5]:4711"),), "2001:db8::5"),
        (("127.0.0.1",), "127.0.0.1", (forwarded_for("203.0.113.9:4711"),), "203.0.113.9"),
        (("127.0.0.1",), "127.0.0.1", (forwarded_for("::ffff:203.0.113.9"),), "203.0.113.9"),
        # an entry that is not an address ends the walk: the hop that wrote it is the client
        (("127.0.0.1",), "127.0.0.1", (forwarded_for("203.0.113.9", "unknown"),), "127.0.0.1"),
        (("127.0.0.1", "10.0.0.0/8"), "127.0.0.1", (forwarded_for("junk\x1b]0;x", "10.0.0.7"),), "10.0.0.7"),
        (("127.0.0.1",), "127.0.0.1", (forwarded_for(""),), "127.0.0.1"),
        # an untrusted peer's headers are ignored
        (("127.0.0.1",), "198.51.100.7", (forwarded_for("203.0.113.9"),), "198.51.100.7"),
        (("10.0.0.0/8",), "127.0.0.1", (("Forwarded", "for=203.0.113.9"),), "127.0.0.1"),
        # RFC 7239 Forwarded
        (
            ("127.0.0.1",),
            "127.0.0.1",
            (("Forwarded", "for=203.0.113.9;proto=https;by=127.0.0.1"),),
            "203.0.113.9",
        ),
        (
            ("127.0.0.1",),
            "127.0.0.1",
            (("Forwarded", 'for="[2001:db8:cafe::17]:4711"'),),
            "2001:db8:cafe::17",
        ),
        (
            ("127.0.0.1",),
            "127.0.0.1",
            (("Forwarded", 'For="203.0.113.9:80", for=198.51.100.7'),),
            "198.51.100.7",
        ),
        (
            ("127.0.0.1",),
            "127.0.0.1",
            (("Forwarded", 'proto=https;host="a,b";for=198.51.100.7'),),
            "198.51.100.7",
        ),
        (("127.0.0.1",), "127.0.0.1", (("Forwarded", "for=_hidden"),), "127.0.0.1"),
        (("127.0.0.1",), "127.0.0.1", (("Forwarded", "for=unknown"),), "127.0.0.1"),
        (("127.0.0.1",), "127.0.0.1", (("Forwarded", "proto=https"),), "127.0.0.1"),
        # both headers: they must agree, or a client wrote one of them and neither is believed
        (
            ("127.0.0.1",),
            "127.0.0.1",
            (forwarded_for("203.0.113.9"), ("Forwarded", "for=203.0.113.9")),
            "203.0.113.9",
        ),
        (
            ("127.0.0.1",),
            "127.0.0.1",
            (forwarded_for("203.0.113.9"), ("Forwarded", "for=6.6.6.6")),
            "127.0.0.1",
        ),
    ],
)
def test_the_client_address_behind_trusted_proxies(
    trusted: tuple[str, ...], peer: str, headers: tuple[tuple[str, str], ...], client: str
) -> None:
    policy = Policy(port=PORT, trusted_proxies=trusted)
    assert policy.client_address(upgrade(None, *headers), peer) == client
    decision = policy.admit(upgrade(None, *headers), peer, 0.0)
    assert isinstance(decision, Admission) and decision.client == client


def test_behind_a_trusted_proxy_a_flood_of_junk_never_locks_out_the_controller() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN, trusted_proxies=("127.0.0.1",))
    rng = random.Random(21)
    now, refused = 0.0, 0
    for second in range(120):
        for _ in range(3):  # the red team's three junk requests a second, from other addresses
            now = second + rng.random()
            junk = f"198.51.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            policy.admit(upgrade(WRONG, forwarded_for(junk)), "127.0.0.1", now)
        decision = policy.admit(upgrade(CONTROL_TOKEN, forwarded_for("203.0.113.50")), "127.0.0.1", now)
        refused += decision != Admission(CONTROLLER)
    assert refused == 0


def test_behind_a_trusted_proxy_the_throttle_keys_on_the_forwarded_address() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN, trusted_proxies=("127.0.0.1",))
    for i in range(ADDRESS_LIMIT):
        assert (
            status(policy.admit(upgrade(WRONG, forwarded_for("198.51.100.7")), "127.0.0.1", i * 0.1)) == 403
        )
    assert status(policy.admit(upgrade(WRONG, forwarded_for("198.51.100.7")), "127.0.0.1", 1.0)) == 429
    # another client behind the same proxy is not throttled by that one
    assert status(policy.admit(upgrade(WRONG, forwarded_for("203.0.113.50")), "127.0.0.1", 1.0)) == 403


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_gains_nothing() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN, trusted_proxies=("10.0.0.1",))
    for i in range(40):  # a new address claimed each time
        spoof = forwarded_for(f"203.0.{i}.9")
        expected = 403 if i < ADDRESS_LIMIT else 429
        assert status(policy.admit(upgrade(WRONG, spoof), "198.51.100.7", i * 0.01)) == expected, i
    claimed = upgrade(
        None, forwarded_for("10.0.0.1"), ("Forwarded", "for=127.0.0.1"), ("X-Real-IP", "127.0.0.1")
    )
    assert policy.admit(claimed, "198.51.100.7", 1.0) == Admission(VIEWER)  # and no role, ever


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "example.com", "10.0.0.1-10.0.0.9", "*", "10.0.0.1;"])
def test_unusable_trusted_proxies_are_refused_with_an_example(entry: str) -> None:
    with pytest.raises(ValueError, match=r"trusted_proxies: .* \(e\.g\. 127\.0\.0\.1 or 10\.0\.0\.0/8\)"):
        Policy(trusted_proxies=(entry,))


# -- token strength ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("token", "bits"),
    [
        ("1234", 4 * 3.32),
        ("deadbeef" * 4, 128.0),  # 32 hex digits
        ("DEADBEEF" * 4, 128.0),
        ("abcdefghijklmnopqrstuvwxy", 25 * 5.17),  # lower-case letters and digits
        ("aB3" * 7 + "x", 22 * 5.95),  # letters and digits
        ("a-_" * 7 + "b", 132.0),  # base64url
        ("pass word!" * 2, 20 * 6.57),  # printable ASCII
    ],
)
def test_token_bits_is_length_times_log2_of_the_smallest_alphabet(token: str, bits: float) -> None:
    assert token_bits(token) == pytest.approx(bits, abs=0.1)


@pytest.mark.parametrize(
    ("token", "ok"),
    [
        ("hunter2", False),
        ("0123456789abcdef" * 2, True),  # 32 hex: 128 bits
        ("0123456789ABCDEF" * 2, True),
        ("0123456789abcde", False),
        ("a-" * 10 + "b", False),  # 21 base64url characters: 126 bits
        ("a-" * 11, True),  # 22: 132 bits
        ("9" * 38, False),  # digits need 39
        ("9" * 39, True),
        (CONTROL_TOKEN, True),
    ],
)
def test_tokens_under_128_bits_are_refused_with_one_line_that_says_what_to_do(token: str, ok: bool) -> None:
    for option in ("token", "control_token"):
        options: dict[str, Any] = {option: token}  # a keyword chosen at run time
        if ok:
            Policy(**options)
            continue
        with pytest.raises(ValueError) as refused:
            Policy(**options)
        message = str(refused.value)
        assert "\n" not in message and message.startswith(f"{option} is ")
        assert "128 bits" in message and "secrets.token_urlsafe(24)" in message
        assert token not in message  # never echo a secret, even a weak one


# -- reserved controller slots ----------------------------------------------------------------
def test_a_full_server_still_admits_controllers_in_reserved_slots() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN, max_clients=4)
    assert status(policy.admit(upgrade(), "192.0.2.1", 0.0, connected=4)) == 503
    for connected in range(4, 4 + CONTROLLER_SLOTS):
        assert policy.admit(upgrade(CONTROL_TOKEN), "192.0.2.1", 0.0, connected=connected) == Admission(
            CONTROLLER
        )
    assert (
        status(policy.admit(upgrade(CONTROL_TOKEN), "192.0.2.1", 0.0, connected=4 + CONTROLLER_SLOTS)) == 503
    )
    assert policy.capacity(VIEWER) == 4 and policy.capacity(CONTROLLER) == 4 + CONTROLLER_SLOTS
