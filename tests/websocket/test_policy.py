"""docs/security.md's rules without sockets: Host, Origin, tokens, roles, throttle, schema, rate-limited logs.

More of the throttle, trusted proxies, token strength and controller slots: test_trust.py.
"""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

import pytest
from glyphcast import CodecError
from glyphcast.protocol import codec_subprotocols
from glyphcast.protocol import token_subprotocol as encode_token_subprotocol
from glyphcast_json import JsonCodec
from glyphcast_websocket import messages
from glyphcast_websocket.credentials import TokenError, query_has_token, same_secret
from glyphcast_websocket.credentials import extract_token as _extract_token
from glyphcast_websocket.decisions import Admission, Handshake, Refusal
from glyphcast_websocket.hosts import host_allowed, origin_of, split_host
from glyphcast_websocket.pages import CSP_BASE
from glyphcast_websocket.security import CONTROLLER, VIEWER, Policy
from glyphcast_websocket.testing import CONTROL_TOKEN, VIEW_TOKEN
from glyphcast_websocket.throttle import FailureThrottle, GuessThrottle, throttle_keys
from hypothesis import given, settings
from hypothesis import strategies as st

PORT = 8765


def extract_token(request: Handshake) -> str | None:
    return _extract_token(request.get_all("Authorization"), request.get_all("Sec-WebSocket-Protocol"))


def upgrade(
    host: str | None = f"127.0.0.1:{PORT}",
    *,
    origin: str | None = None,
    target: str = "/ws",
    method: str = "GET",
    headers: tuple[tuple[str, str], ...] = (),
) -> Handshake:
    lines = []
    if host is not None:
        lines.append(("Host", host))
    if origin is not None:
        lines.append(("Origin", origin))
    return Handshake(method, target, (*lines, *headers), upgrade=True)


def page(host: str | None = f"127.0.0.1:{PORT}", method: str = "GET", target: str = "/") -> Handshake:
    return Handshake(method, target, (("Host", host),) if host is not None else (), upgrade=False)


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("Authorization", f"Bearer {token}"),)


def offered(*entries: str) -> tuple[tuple[str, str], ...]:
    return (("Sec-WebSocket-Protocol", ", ".join(entries)),)


# -- Host (DNS rebinding) -------------------------------------------------------------
@pytest.mark.parametrize(
    ("bind", "allowed", "host", "ok"),
    [
        # bound to loopback: the loopback names, any port, any case, trailing dot
        ("127.0.0.1", (), "127.0.0.1:8765", True),
        ("127.0.0.1", (), "localhost:8765", True),
        ("127.0.0.1", (), "LOCALHOST", True),
        ("127.0.0.1", (), "localhost.:9", True),
        ("127.0.0.1", (), "[::1]:8765", True),
        ("::1", (), "[::1]", True),
        ("127.0.0.1", (), "127.0.0.2:1", True),  # all of 127/8 is loopback
        # ... and nothing else: the rebinding attack's Host is the attacker's name
        ("127.0.0.1", (), "evil.example:8765", False),
        ("127.0.0.1", (), "evil.example", False),
        ("127.0.0.1", (), "localhost.evil.example", False),
        ("127.0.0.1", (), "127.0.0.1.evil.example", False),
        ("127.0.0.1", (), "192.168.1.5:8765", False),
        ("127.0.0.1", (), "", False),
        ("127.0.0.1", (), None, False),
        # malformed Hosts are never allowed
        ("127.0.0.1", (), "::1", False),  # IPv6 needs brackets
        ("127.0.0.1", (), "[::1", False),
        ("127.0.0.1", (), "localhost:", False),
        ("127.0.0.1", (), "localhost:99999", False),
        ("127.0.0.1", (), "localhost:0", False),
        ("127.0.0.1", (), "localhost:80:80", False),
        ("127.0.0.1", (), "user@localhost", False),
        ("127.0.0.1", (), "localhost/x", False),
        ("127.0.0.1", (), "local host", False),
        ("127.0.0.1", (), "localhost..", False),
        ("127.0.0.1", (), "*", False),
        # allowed_hosts: a name for any port, name:port for one, *.suffix, *
        ("127.0.0.1", ("glyph.example",), "GLYPH.example.:443", True),
        ("127.0.0.1", ("glyph.example:443",), "glyph.example:443", True),
        ("127.0.0.1", ("glyph.example:443",), "glyph.example:8443", False),
        ("127.0.0.1", ("*.glyph.example",), "a.glyph.example", True),
        ("127.0.0.1", ("*.glyph.example",), "glyph.example", False),
        ("127.0.0.1", ("*.glyph.example",), "evilglyph.example", False),
        ("127.0.0.1", ("*",), "anything.example", True),
        # bound elsewhere: allowed_hosts, the loopback names, and IP literals of this server
        ("0.0.0.0", (), "evil.example:8765", False),
        ("0.0.0.0", ("glyph.example",), "glyph.example:8765", True),
        ("0.0.0.0", (), "192.168.1.5:8765", True),  # a rebinding page cannot make an IP-literal Host
        ("::", (), "[fd00::5]:8765", True),
        ("192.168.1.5", (), "192.168.1.5:8765", True),
        ("192.168.1.5", (), "192.168.1.6:8765", False),
        ("192.168.1.5", (), "localhost:8765", True),
    ],
)
def test_host_allowlist(bind: str, allowed: tuple[str, ...], host: str | None, ok: bool) -> None:
    assert host_allowed(bind, allowed, host) is ok


def test_split_host_normalizes_case_dots_brackets_and_ports() -> None:
    assert split_host("LocalHost.:8765") == ("localhost", 8765)
    assert split_host("[::1]:80") == ("::1", 80)
    assert split_host("[::1]") == ("::1", None)
    assert split_host("example.com") == ("example.com", None)
    assert split_host("*.example.com") is None
    assert split_host("*.example.com", pattern=True) == ("*.example.com", None)


@pytest.mark.parametrize("host", ["evil.example:8765", "localhost.evil.example", "192.168.1.5"])
def test_a_foreign_host_is_misdirected_for_every_path_and_method(host: str) -> None:
    policy = Policy(port=PORT)
    for request in (
        upgrade(host),
        page(host, target="/healthz"),
        page(host, target="/"),
        page(host, "POST"),
        page(host, "HEAD"),
    ):
        decision = policy.admit(request, "127.0.0.1", 0.0)
        assert isinstance(decision, Refusal) and decision.status == 421, request
        assert decision.log_key == "host"


def test_a_missing_or_repeated_host_is_a_bad_request() -> None:
    policy = Policy(port=PORT)
    assert _status(policy.admit(page(None), "127.0.0.1", 0.0)) == 400
    twice = Handshake("GET", "/", (("Host", "localhost"), ("host", "localhost")))
    assert _status(policy.admit(twice, "127.0.0.1", 0.0)) == 400


# -- methods -----------------------------------------------------------------------
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"])
def test_methods_other_than_get_and_head_are_405_with_allow(method: str) -> None:
    decision = Policy(port=PORT).admit(page(method=method), "127.0.0.1", 0.0)
    assert isinstance(decision, Refusal) and decision.status == 405
    assert dict(decision.headers)["Allow"] == "GET, HEAD"


def test_head_is_admitted_without_a_body_and_get_with_one() -> None:
    policy = Policy(port=PORT)
    assert policy.admit(page(method="HEAD"), "127.0.0.1", 0.0) == Admission(None, head=True)
    assert policy.admit(page(method="GET"), "127.0.0.1", 0.0) == Admission(None, head=False)


# -- page headers (framing) -----------------------------------------------------
def test_page_headers_forbid_framing_by_other_sites() -> None:
    headers = dict(Policy().page_headers)
    assert headers["Content-Security-Policy"] == f"{CSP_BASE}; frame-ancestors 'self'"
    assert "default-src 'self'" in CSP_BASE and "script-src 'self';" in CSP_BASE
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_frame_ancestors_option_replaces_x_frame_options() -> None:
    headers = dict(Policy(frame_ancestors=("'self'", "https://dash.example")).page_headers)
    assert headers["Content-Security-Policy"].endswith("frame-ancestors 'self' https://dash.example")
    assert "X-Frame-Options" not in headers


@pytest.mark.parametrize(
    "options",
    [
        {"frame_ancestors": ("https://a.example; script-src *",)},
        {"frame_ancestors": ("https://a.example\r\nX-Evil: 1",)},
        {"allow_origin": ("http://a.example, http://b.example",)},
        {"allowed_hosts": ("exa mple.com",)},
        {"allowed_hosts": ("http://example.com",)},
        {"public_url": "ftp://example.com/"},
        {"token": CONTROL_TOKEN, "control_token": CONTROL_TOKEN},
    ],
)
def test_options_that_would_inject_headers_or_make_no_sense_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Policy(**options)


def test_wildcards_are_stated_loudly() -> None:
    said = Policy(allowed_hosts=("*",), allow_origin=("*",), host="0.0.0.0").warnings
    assert any("allowed_hosts=*" in line for line in said)
    assert any("allow_origin=*" in line for line in said)
    assert any("without a view token" in line for line in said)
    assert Policy().warnings == []


# -- Origin --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("origin", "options", "ok"),
    [
        (None, {}, True),  # not a browser
        (f"http://127.0.0.1:{PORT}", {}, True),
        (f"http://localhost:{PORT}", {}, True),
        (f"HTTP://LOCALHOST.:{PORT}", {}, True),
        (f"http://[::1]:{PORT}", {}, True),
        (f"https://127.0.0.1:{PORT}", {}, True),
        ("http://127.0.0.1:9999", {}, False),  # another local server is another origin
        ("http://127.0.0.1", {}, False),
        (f"http://evil.example:{PORT}", {}, False),  # the rebinding page's own origin
        (f"http://evil.example:{PORT}", {"allowed_hosts": ("glyph.example",)}, False),
        (f"http://glyph.example:{PORT}", {"allowed_hosts": ("glyph.example",)}, True),
        ("null", {}, False),  # sandboxed iframes and file:// pages
        ("file://", {}, False),
        (f"ws://127.0.0.1:{PORT}", {}, False),
        (f"http://user@127.0.0.1:{PORT}", {}, False),
        (f"http://127.0.0.1:{PORT}/path", {}, False),
        ("http://app.example", {"allow_origin": ("http://app.example/",)}, True),
        ("http://app.example:80", {"allow_origin": ("http://app.example",)}, True),
        ("http://app.example:81", {"allow_origin": ("http://app.example",)}, False),
        ("https://glyph.example", {"public_url": "https://glyph.example/sub/"}, True),
        ("http://glyph.example", {"public_url": "https://glyph.example/sub/"}, False),
        ("http://evil.example", {"allow_origin": ("*",)}, True),
    ],
)
def test_origin_is_checked_against_the_origins_the_server_serves(
    origin: str | None, options: dict[str, Any], ok: bool
) -> None:
    assert Policy(port=PORT, **options).accepts_origin(origin) is ok


def test_origin_is_never_compared_with_the_host_header() -> None:
    # issue 10 point 1: Host and Origin both say evil.example -> still refused
    decision = Policy(port=PORT, allowed_hosts=("evil.example",)).admit(
        upgrade(f"evil.example:{PORT}", origin="http://attacker.example"), "127.0.0.1", 0.0
    )
    assert _status(decision) == 403
    rebinding = Policy(port=PORT).admit(
        upgrade(f"evil.example:{PORT}", origin=f"http://evil.example:{PORT}"), "127.0.0.1", 0.0
    )
    assert _status(rebinding) == 421


def probe(referer: str, *, upgrading: bool = False) -> Handshake:
    """What the viewer sends to ask why its handshake was refused: a plain GET of the WebSocket path,
    no Origin (a browser's fetch from its own site has none), its page's origin as the Referer."""
    headers = (("Referer", referer), *((("Upgrade", "websocket"),) if upgrading else ()))
    return upgrade(headers=headers)


def test_a_plain_get_of_the_websocket_path_is_judged_by_its_referers_origin() -> None:
    policy = Policy(port=PORT, public_url="https://example.org/")
    refused = policy.admit(probe("https://example.org:8443/"), "127.0.0.1", 0.0)
    assert isinstance(refused, Refusal) and refused.status == 403 and refused.log_key == "origin"
    assert refused.reason.startswith("origin 'https://example.org:8443' is not allowed: ")
    assert "public_url" in refused.reason
    for page in ("https://example.org/", f"http://127.0.0.1:{PORT}/s/talk/"):
        assert policy.admit(probe(page), "127.0.0.1", 0.0) == Admission(VIEWER)


def test_a_real_upgrade_is_judged_by_its_origin_alone_and_a_junk_referer_by_nothing() -> None:
    policy = Policy(port=PORT)
    assert policy.admit(probe("http://evil.example/", upgrading=True), "127.0.0.1", 0.0) == Admission(VIEWER)
    assert policy.admit(probe("not a url"), "127.0.0.1", 0.0) == Admission(VIEWER)
    both = upgrade(origin=f"http://127.0.0.1:{PORT}", headers=(("Referer", "http://evil.example/"),))
    assert policy.admit(both, "127.0.0.1", 0.0) == Admission(VIEWER)  # a browser's Origin is the truth


def test_origin_of_normalizes() -> None:
    assert origin_of("HTTPS://Example.COM:443/x?y#z") == "https://example.com"
    assert origin_of("http://[::1]:8765/") == "http://[::1]:8765"
    assert origin_of("null") is None


# -- tokens and roles ------------------------------------------------------------------
def test_without_a_control_token_nobody_controls_not_even_loopback() -> None:
    policy = Policy(port=PORT)
    for remote in ("127.0.0.1", "::1", "192.0.2.7"):
        assert policy.admit(upgrade(), remote, 0.0) == Admission(VIEWER)


def test_the_control_token_makes_a_controller_from_any_address() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN)
    assert policy.admit(upgrade(headers=bearer(CONTROL_TOKEN)), "203.0.113.9", 0.0) == Admission(CONTROLLER)
    by_subprotocol = upgrade(headers=offered("glyphcast.json.v1", encode_token_subprotocol(CONTROL_TOKEN)))
    assert policy.admit(by_subprotocol, "203.0.113.9", 0.0) == Admission(CONTROLLER)
    assert policy.admit(upgrade(), "127.0.0.1", 0.0) == Admission(VIEWER)


def test_forwarded_headers_grant_nothing() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN)
    spoofed = upgrade(
        headers=(
            ("X-Forwarded-For", "127.0.0.1"),
            ("X-Real-IP", "127.0.0.1"),
            ("Forwarded", "for=127.0.0.1"),
        )
    )
    assert policy.admit(spoofed, "203.0.113.9", 0.0) == Admission(VIEWER)


def test_a_view_token_is_needed_to_connect_when_set() -> None:
    policy = Policy(port=PORT, token=VIEW_TOKEN, control_token=CONTROL_TOKEN)
    assert _status(policy.admit(upgrade(), "127.0.0.1", 0.0)) == 403
    assert policy.admit(upgrade(headers=bearer(VIEW_TOKEN)), "127.0.0.1", 0.0) == Admission(VIEWER)
    assert policy.admit(upgrade(headers=bearer(CONTROL_TOKEN)), "127.0.0.1", 0.0) == Admission(CONTROLLER)
    # pages need no token: the viewer page must load to read the fragment
    assert policy.admit(page(), "127.0.0.1", 0.0) == Admission(None)


def test_a_wrong_token_is_403_and_says_nothing_about_the_token() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN)
    decision = policy.admit(upgrade(headers=bearer(CONTROL_TOKEN[:-1] + "X")), "127.0.0.1", 0.0)
    assert isinstance(decision, Refusal) and decision.status == 403 and decision.log_key == "bad-token"
    assert CONTROL_TOKEN[:8] not in decision.reason


def test_a_token_in_the_query_string_is_refused_with_a_hint() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN)
    for target in ("/ws?token=ctl", "/ws?a=1&control=ctl", "/ws?access_token=x", "/ws?TOKEN="):
        decision = policy.admit(upgrade(target=target), "127.0.0.1", 0.0)
        assert isinstance(decision, Refusal) and decision.status == 403, target
        assert "fragment" in decision.reason and "Authorization" in decision.reason
        assert "ctl" not in decision.reason
    assert not query_has_token("/ws?codec=json")


def test_token_extraction() -> None:
    assert extract_token(upgrade()) is None
    assert extract_token(upgrade(headers=(("authorization", "bearer  abc "),))) == "abc"
    token = "ünïcode/+= token"
    entry = encode_token_subprotocol(token)
    assert entry.startswith("glyphcast.token.") and "=" not in entry and "/" not in entry and "+" not in entry
    assert extract_token(upgrade(headers=offered("glyphcast.diff.v1", entry))) == token
    # several Sec-WebSocket-Protocol lines are one list
    split = upgrade(
        headers=(("Sec-WebSocket-Protocol", "glyphcast.json.v1"), ("Sec-WebSocket-Protocol", entry))
    )
    assert extract_token(split) == token


@pytest.mark.parametrize(
    "headers",
    [
        (("Authorization", "Basic dXNlcjpwYXNz"),),
        (("Authorization", "Bearer"),),
        (("Authorization", "Bearer a"), ("Authorization", "Bearer b")),
        (("Authorization", "Bearer a"), ("Sec-WebSocket-Protocol", encode_token_subprotocol("b"))),
        (("Sec-WebSocket-Protocol", "glyphcast.token."),),
        (("Sec-WebSocket-Protocol", "glyphcast.token.a+b/c"),),
        (("Sec-WebSocket-Protocol", "glyphcast.token.__8"),),  # decodes to bytes that are not UTF-8
    ],
)
def test_unreadable_tokens_are_a_bad_request(headers: tuple[tuple[str, str], ...]) -> None:
    with pytest.raises(TokenError):
        extract_token(upgrade(headers=headers))
    assert _status(Policy(port=PORT).admit(upgrade(headers=headers), "127.0.0.1", 0.0)) == 400


def test_the_token_entry_is_never_a_codec() -> None:
    entry = encode_token_subprotocol("secret")
    assert codec_subprotocols(["glyphcast.diff.v1", entry, "glyphcast.json.v1"]) == [
        "glyphcast.diff.v1",
        "glyphcast.json.v1",
    ]


def test_same_secret_is_exact() -> None:
    assert same_secret("abc", "abc")
    assert not same_secret("abc", "abd") and not same_secret("ab", "abc") and not same_secret("", "")
    assert not same_secret("x" * 10_000, "x")


# -- throttle -------------------------------------------------------------------------
def test_five_bad_tokens_in_ten_seconds_get_429_until_it_cools_down() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN)
    wrong = upgrade(headers=bearer("guess"))
    for i in range(5):
        assert _status(policy.admit(wrong, "192.0.2.1", i * 0.1)) == 403
    throttled = policy.admit(wrong, "192.0.2.1", 1.0)
    assert isinstance(throttled, Refusal) and throttled.status == 429
    assert int(dict(throttled.headers)["Retry-After"]) == 9  # the first failure (t=0) ages out at t=10
    assert policy.admit(upgrade(headers=bearer(CONTROL_TOKEN)), "192.0.2.1", 1.0) == Admission(CONTROLLER)
    assert (
        _status(policy.admit(wrong, "198.51.100.2", 1.0)) == 403
    )  # another address (and /24) is not affected
    assert _status(policy.admit(wrong, "192.0.2.1", 9.99)) == 429
    assert _status(policy.admit(wrong, "192.0.2.1", 10.01)) == 403


def test_spread_out_failures_are_not_throttled() -> None:
    policy = Policy(port=PORT, control_token=CONTROL_TOKEN)
    for i in range(20):
        assert _status(policy.admit(upgrade(headers=bearer("guess")), "192.0.2.1", i * 2.5)) == 403


def test_missing_tokens_do_not_count_as_guesses() -> None:
    policy = Policy(port=PORT, token=VIEW_TOKEN)
    for i in range(10):
        assert _status(policy.admit(upgrade(), "192.0.2.1", i * 0.01)) == 403


def test_the_throttle_table_is_bounded_and_forgets_the_oldest() -> None:
    throttle = FailureThrottle(limit=2, window=10.0, max_keys=3)
    for key in ("a", "a", "b", "c"):
        throttle.failed(key, 0.0)
    assert throttle.retry_after("a", 1.0) == 9.0
    throttle.failed("d", 1.0)  # "a" is the least recently failing: forgotten
    assert len(throttle) == 3 and throttle.retry_after("a", 1.0) == 0.0


def test_the_throttle_table_stays_bounded_under_a_flood_of_addresses() -> None:
    policy = Policy(
        port=PORT, control_token=CONTROL_TOKEN, throttle=GuessThrottle(max_keys=100, total_limit=10**6)
    )
    for i in range(5000):
        policy.admit(upgrade(headers=bearer("guess")), f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", 0.0)
    assert len(policy.throttle.addresses) == 100 and len(policy.throttle.prefixes) <= 100


def test_ipv6_failures_count_per_slash_64() -> None:
    assert throttle_keys("2001:db8::1")[0] == throttle_keys("2001:db8::ffff:1")[0] == "2001:db8::/64"
    assert throttle_keys("2001:db8:0:1::1")[0] != throttle_keys("2001:db8::1")[0]
    assert throttle_keys("::ffff:192.0.2.1")[0] == "192.0.2.1"
    assert throttle_keys("192.0.2.1")[0] == "192.0.2.1"


def test_bound_keeps_the_rules_and_the_throttle() -> None:
    policy = Policy(
        control_token=CONTROL_TOKEN, allowed_hosts=("a.example",), trusted_proxies=("10.0.0.0/8",)
    )
    bound = policy.bound(PORT)
    assert bound.port == PORT and bound.throttle is policy.throttle and bound.allowed_hosts == ("a.example",)
    assert (
        bound.client_address(upgrade(headers=(("X-Forwarded-For", "192.0.2.9"),)), "10.1.1.1") == "192.0.2.9"
    )
    assert bound.accepts_origin(f"http://a.example:{PORT}")


# -- max_clients --------------------------------------------------------------------
def test_over_max_clients_the_upgrade_is_refused_with_503_and_retry_after() -> None:
    policy = Policy(port=PORT, max_clients=2)
    assert policy.admit(upgrade(), "127.0.0.1", 0.0, connected=1) == Admission(VIEWER)
    full = policy.admit(upgrade(), "127.0.0.1", 0.0, connected=2)
    assert isinstance(full, Refusal) and full.status == 503 and "full" in full.reason
    assert int(dict(full.headers)["Retry-After"]) >= 1
    assert policy.admit(page(), "127.0.0.1", 0.0, connected=2) == Admission(None)  # the page still loads


# -- admit never raises --------------------------------------------------------------
header_names = st.sampled_from(
    [
        "Host",
        "Origin",
        "Authorization",
        "Sec-WebSocket-Protocol",
        "X-Forwarded-For",
        "Forwarded",
        "host",
        "Cookie",
    ]
)
header_values = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "localhost",
            "[::1]:1",
            "Bearer x",
            "glyphcast.token.",
            "http://localhost:8765",
            "null",
            "127.0.0.9",
            'for="[::1]:80";by=x, for=192.0.2.1',
            "unknown, 10.0.0.1:80",
        ]
    ),
)


@settings(max_examples=400, deadline=None)
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "get", ""]),
    target=st.text(max_size=40),
    headers=st.lists(st.tuples(header_names, header_values), max_size=6),
    upgrade_=st.booleans(),
    remote=st.one_of(st.text(max_size=20), st.ip_addresses().map(str), st.just("127.0.0.1")),
)
def test_admit_decides_anything_without_raising(
    method: str, target: str, headers: list[tuple[str, str]], upgrade_: bool, remote: str
) -> None:
    decision = Policy(
        port=PORT, token=VIEW_TOKEN, control_token=CONTROL_TOKEN, trusted_proxies=("127.0.0.0/8",)
    ).admit(Handshake(method, target, tuple(headers), upgrade_), remote, 0.0)
    assert isinstance(decision, Admission | Refusal)
    if isinstance(decision, Refusal):
        assert decision.status in (400, 403, 405, 421, 429, 503) and "\n" not in decision.reason


def _status(decision: Admission | Refusal) -> int:
    return decision.status if isinstance(decision, Refusal) else 101


# -- client message schema -------------------------------------------------------------
def nested(levels: int) -> Any:
    """``levels`` arrays, one inside the other."""
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("message", "role", "code"),
    [
        ({"type": "ping", "ts": math.nan}, "viewer", "out_of_range"),
        ({"type": "ping", "ts": math.inf}, "viewer", "out_of_range"),
        ({"type": "ping", "ts": 2**64}, "viewer", "out_of_range"),
        ({"type": "ping", "ts": -(2**53) - 1}, "viewer", "out_of_range"),
        ({"type": "ping", "ts": 1e300}, "viewer", "out_of_range"),
        ({"type": "hello", "client": "x" * 300}, "viewer", "out_of_range"),
        ({"type": "hello", "viewport": {"width": -1, "height": 2}}, "viewer", "out_of_range"),
        ({"type": "hello", "viewport": {"width": math.nan, "height": 2}}, "viewer", "out_of_range"),
        ({"type": "hello", "extra": nested(8)}, "viewer", "bad_message"),  # 1 + 8 levels
        ({"type": "command", "command": {"a": {1: 2}}}, "controller", "bad_message"),
        ({"type": "command", "command": b"bytes"}, "controller", "bad_message"),
        ({"type": "command", "command": (1, 2)}, "controller", "bad_message"),
        ({"type": "command", "command": list(range(2000))}, "controller", "out_of_range"),
        ({"type": "command", "command": "x" * 20_000}, "controller", "out_of_range"),
        ({"type": "input", "data": "x" * 20_000}, "controller", "out_of_range"),
        ({"type": "resize", "width": 2**64, "height": 1}, "controller", "out_of_range"),
        ({"type": "x" * 10_000}, "viewer", "unknown_type"),
    ],
)
def test_schema_bounds(message: Any, role: str, code: str) -> None:
    with pytest.raises(messages.Rejected) as caught:
        messages.check(message, role)
    assert caught.value.code == code
    assert len(caught.value.message) < 300  # never echoes a client's megabytes back


def test_depth_eight_and_unknown_fields_are_fine() -> None:
    message = {"type": "hello", "client": "x", "future_field": {"a": nested(6)}}  # 1 + 1 + 6 levels
    assert messages.check(message, "viewer") is message
    assert messages.check({"type": "ping", "ts": 2**53}, "viewer")["ts"] == 2**53
    assert messages.check({"type": "ping", "ts": -1.5e12}, "viewer")


@pytest.mark.parametrize(
    "data",
    [
        "[" * 100_000 + "]" * 100_000,  # RecursionError inside json
        '{"type": "ping", "ts": ' + "9" * 5000 + "}",  # int too long for int()
        "\ud800",
        "",
        "\x00",
    ],
)
def test_hostile_json_text_is_only_ever_rejected(data: str) -> None:
    with pytest.raises(messages.Rejected) as caught:
        messages.check(messages.decode(data, JsonCodec()), "viewer")
    assert caught.value.code == "bad_message"


def test_json_nan_literals_are_refused_when_decoding() -> None:
    with pytest.raises(messages.Rejected) as caught:
        messages.decode('{"type": "ping", "ts": NaN}', JsonCodec())
    assert caught.value.code == "bad_message"


class _RaisingCodec(JsonCodec):
    """A codec whose decode fails the ways real decoders do."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    def decode(self, data: bytes) -> Any:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        CodecError("bad"),
        ValueError("bad"),
        TypeError("unhashable type: 'list'"),
        RecursionError(),
        OverflowError(),
    ],
)
def test_codec_failures_become_rejected(error: BaseException) -> None:
    with pytest.raises(messages.Rejected) as caught:
        messages.decode(b"\x81\x91\x01\x02", _RaisingCodec(error))
    assert caught.value.code == "bad_message"


def test_msgpack_list_keys_are_rejected_not_raised() -> None:
    from glyphcast import get_registry

    binary = [c for c in get_registry().codecs.values() if c.subprotocol != "glyphcast.json.v1"]
    if not binary:
        pytest.skip("no msgpack codec installed in this env (glyphcast-binary / glyphcast-diff)")
    for data in (b"\x81\x91\x01\x02", b"\x81\x81\x01\x02\x03"):  # {[1]: 2}, {{1: 2}: 3}
        for codec in binary:
            with pytest.raises(messages.Rejected) as caught:
                messages.decode(data, codec)
            assert caught.value.code == "bad_message"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
client_messages = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"type": st.sampled_from(sorted(messages.KNOWN_TYPES) + ["", "nope"])},
        optional={
            "ts": json_values,
            "client": json_values,
            "viewport": json_values,
            "width": json_values,
            "height": json_values,
            "command": json_values,
            "data": json_values,
        },
    ),
)


@settings(max_examples=500, deadline=None)
@given(message=client_messages, role=st.sampled_from(["viewer", "controller"]))
def test_check_raises_nothing_but_rejected_and_what_passes_encodes_as_strict_json(
    message: Any, role: str
) -> None:
    try:
        checked = messages.check(message, role)
    except messages.Rejected as rejected:
        assert rejected.code in {"bad_message", "unknown_type", "bad_field", "out_of_range", "forbidden"}
        return
    json.dumps(checked, allow_nan=False)  # whatever passes can be echoed back as valid JSON
    if checked["type"] == "ping":
        json.dumps({"type": "pong", "ts": checked["ts"]}, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_decode_raises_nothing_but_rejected(data: str | bytes) -> None:
    from glyphcast import get_registry

    for codec in get_registry().codecs.values():
        with contextlib.suppress(messages.Rejected):
            messages.check(messages.decode(data, codec), "controller")


def test_redact_hides_every_form_a_token_travels_in() -> None:
    from glyphcast_websocket.credentials import redact

    assert redact("Bearer s3cret") == "Bearer [redacted]"
    assert redact(f"glyphcast.json.v1, {encode_token_subprotocol('s3cret')}") == (
        "glyphcast.json.v1, glyphcast.token.[redacted]"
    )
    assert (
        redact("GET /ws?codec=json&token=s3cret HTTP/1.1") == "GET /ws?codec=json&token=[redacted] HTTP/1.1"
    )
    assert redact("Host: 127.0.0.1:8765") == "Host: 127.0.0.1:8765"
