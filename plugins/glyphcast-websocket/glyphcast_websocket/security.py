"""Who may connect and who may control (sans-I/O): the rules docs/security.md states.

No sockets and no clock here: the hub hands over what it parsed from one HTTP
request, the peer's address and the time, and gets back a decision. The one
call, for EVERY HTTP request (pages, ``/healthz`` and upgrades)::

    decision = policy.admit(
        Handshake(method=request.method, target=request.path,
                  headers=tuple(request.headers.raw_items()), upgrade=is_websocket_path),
        remote=connection.remote_address[0],
        now=time.monotonic(),
        connected=len(sessions),
    )
    if isinstance(decision, Refusal):
        # respond decision.status with decision.headers (+ policy.page_headers)
        # and decision.body; log decision.reason at WARNING through
        # ratelog, keyed by decision.log_key
    else:
        # decision.role: "viewer"/"controller" for an upgrade, None for a page;
        # decision.head: answer with headers only (HEAD);
        # decision.client: the client's address (behind trusted proxies, the forwarded one)

:class:`~glyphcast_websocket.decisions.Admission` and
:class:`~glyphcast_websocket.decisions.Refusal` are the only results; ``admit`` does
not raise on anything a client sends. The checks, in order (each one refuses
before the next is looked at):

1. ``Host`` (DNS rebinding), for every path: missing, repeated or malformed
   => 400; not a host this server answers to
   (:func:`~glyphcast_websocket.hosts.host_allowed`) => 421.
2. Method: GET and HEAD only, else 405 with ``Allow: GET, HEAD``.
3. Upgrades only (``Handshake.upgrade``): a token in the query string
   (``?token=``) => 403 telling the client to use the URL fragment or an
   ``Authorization: Bearer`` header.
4. Upgrades: ``Origin`` (:func:`~glyphcast_websocket.hosts.origin_allowed`) => 403.
   A plain GET of the WebSocket path (no ``Upgrade``) without an ``Origin`` is
   judged by the origin of its ``Referer`` instead: a browser sends no
   ``Origin`` when a page fetches from its own site, and the viewer, asking why
   its handshake was refused, sends its page's origin there (``referrerPolicy:
   "origin"``), so the answer names the origin the handshake carried.
5. Upgrades: more than one token, or a token that is not valid base64url => 400.
6. Upgrades: the token is compared (constant time) with the control and view
   tokens. The right one is never throttled. No token while a view token is
   set => 403. A token that matches neither: if the client's address, its
   prefix or the total is over its budget of wrong tokens (:mod:`.throttle`)
   => 429 + Retry-After, not counted; else => 403, counted.
7. Upgrades: ``connected >= capacity(role)`` => 503 + Retry-After: viewers get
   ``max_clients``, controllers :data:`CONTROLLER_SLOTS` more, so a server
   full of viewers never shuts out the people holding the control token.

Roles come from tokens only: the control token makes a controller, the view
token (or no token when none is set) a viewer. Without a control token nobody
is a controller. Addresses only key the wrong-token throttle and name the
client in logs; ``X-Forwarded-For`` / ``Forwarded`` are read for that only
when the peer is one of ``trusted_proxies`` (:mod:`.forwarded`), never
otherwise, and ``X-Real-IP`` never.

Tokens travel in ``Authorization: Bearer <token>`` or as one
``Sec-WebSocket-Protocol`` entry ``glyphcast.token.<base64url, no padding>``
(browsers cannot set headers on a WebSocket). The server never selects that
entry: pass the offered list through :func:`glyphcast.protocol.codec_subprotocols` before
choosing a codec or quoting the list in an error.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from glyphcast import protocol

from glyphcast_websocket.credentials import (
    MAX_TOKEN_LENGTH,
    TokenError,
    extract_token,
    query_has_token,
    same_secret,
    weak_token,
)
from glyphcast_websocket.decisions import Admission, Handshake, Refusal
from glyphcast_websocket.forwarded import Network, client_address, parse_networks
from glyphcast_websocket.hosts import host_allowed, is_loopback, origin_allowed, origin_of, split_host
from glyphcast_websocket.pages import page_headers
from glyphcast_websocket.quote import quote
from glyphcast_websocket.throttle import GuessThrottle

#: The role of a client that may watch (the wire's name, declared once in glyphcast.protocol).
VIEWER = protocol.ROLE_VIEWER
#: The role of a client that may also resize, send commands and type.
CONTROLLER = protocol.ROLE_CONTROLLER

#: Retry-After (s) when the server is full.
FULL_RETRY_AFTER = 5
#: Connections a controller may open beyond ``max_clients`` (which viewers fill): reserved for control.
CONTROLLER_SLOTS = 8

ALLOWED_METHODS = ("GET", "HEAD")


# -- the policy ---------------------------------------------------------------------
def _header_safe(values: Iterable[str], what: str, forbidden: str = ";,\"'") -> None:
    """Entries end up in response headers or comparisons: no separators, no control characters."""
    for value in values:
        if not value or any(c in value for c in forbidden) or not value.isprintable() or " " in value:
            raise ValueError(f"{what}: {value!r} is not a single plain origin or host name")


@dataclass(frozen=True, slots=True)
class Policy:
    """A stream's access rules, or a port's for requests outside any stream (docs/security.md).

    Most fields are the options of the same names (docs/websocket-options.md,
    :class:`~glyphcast_websocket.settings.Settings`), checked here: a value
    this policy cannot use is a one-line ValueError (a token under
    :data:`~glyphcast_websocket.credentials.MIN_TOKEN_BITS`, an origin that is
    not one). Empty strings mean "not set". ``host``/``port``: where the server
    listens (port 0 until bound; :meth:`bound` sets the bound one). ``tls``:
    it serves https. ``throttle``: wrong tokens so far (shared by :meth:`bound` copies).
    """

    token: str = ""
    control_token: str = ""
    allow_origin: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 0
    allowed_hosts: tuple[str, ...] = ()
    public_url: str = ""
    frame_ancestors: tuple[str, ...] = ()
    max_clients: int = 256
    tls: bool = False
    trusted_proxies: tuple[str, ...] = ()
    throttle: GuessThrottle = field(default_factory=GuessThrottle, compare=False, repr=False)
    _proxies: tuple[Network, ...] = field(default=(), init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        _header_safe(self.allowed_hosts, "allowed_hosts")
        _header_safe(self.allow_origin, "allow_origin")
        _header_safe(self.frame_ancestors, "frame_ancestors", forbidden=";,")  # 'self' is quoted
        for entry in self.allowed_hosts:
            if entry != "*" and split_host(entry, pattern=True) is None:
                raise ValueError(
                    f"allowed_hosts: {entry!r} is not a host name (e.g. example.com or example.com:443)"
                )
        if self.public_url and origin_of(self.public_url) is None:
            raise ValueError(f"public_url: {self.public_url!r} is not an http(s) URL")
        for secret, name in ((self.token, "token"), (self.control_token, "control_token")):
            if len(secret) > MAX_TOKEN_LENGTH:
                raise ValueError(f"{name} is longer than {MAX_TOKEN_LENGTH} characters")
            weak = weak_token(secret, name) if secret else None
            if weak is not None:
                raise ValueError(weak)
        object.__setattr__(self, "_proxies", parse_networks(self.trusted_proxies))
        if self.token and self.control_token and self.token == self.control_token:
            raise ValueError(
                "token and control_token must differ (the control token already lets a client in)"
            )

    def bound(self, port: int) -> Policy:
        """This policy for a server that listens on ``port`` (served origins include it); same throttle."""
        return dataclasses.replace(self, port=port)

    def capacity(self, role: str) -> int:
        """How many clients may be connected when one of ``role`` is admitted (viewers: ``max_clients``)."""
        return self.max_clients + (CONTROLLER_SLOTS if role == CONTROLLER else 0)

    def client_address(self, request: Handshake, remote: str) -> str:
        """The client's address: ``remote``, or behind a trusted proxy the address it forwards."""
        if not self._proxies:
            return remote
        return client_address(
            remote, request.get_all("X-Forwarded-For"), request.get_all("Forwarded"), self._proxies
        )

    @property
    def warnings(self) -> list[str]:
        """Configuration a server should state loudly at start (one line each)."""
        said = []
        if "*" in self.allowed_hosts:
            said.append("allowed_hosts=* : any Host is answered, so DNS rebinding protection is OFF")
        if "*" in self.allow_origin:
            said.append("allow_origin=* : pages from any web site may connect")
        if not is_loopback(self.host) and not self.token:
            said.append(
                f"listening on {self.host} without a view token: anyone who reaches the port can watch"
            )
        if any(network.prefixlen == 0 for network in self._proxies):
            said.append("trusted_proxies includes every address: any client can claim to be any address")
        return said

    # -- what pages, hosts and origins get ---------------------------------------------
    @property
    def page_headers(self) -> tuple[tuple[str, str], ...]:
        """Headers for EVERY HTTP response (:func:`~glyphcast_websocket.pages.page_headers`)."""
        return page_headers(self.frame_ancestors)

    def host_allowed(self, host: str | None) -> bool:
        """The Host rule (:func:`~glyphcast_websocket.hosts.host_allowed`) for this server."""
        return host_allowed(self.host, self.allowed_hosts, host)

    def accepts_origin(self, origin: str | None) -> bool:
        """The Origin rule (:func:`~glyphcast_websocket.hosts.origin_allowed`) for this server."""
        return origin_allowed(
            origin,
            bind_host=self.host,
            port=self.port,
            allowed_hosts=self.allowed_hosts,
            allow_origin=self.allow_origin,
            public_url=self.public_url,
        )

    # -- roles ----------------------------------------------------------------------
    def role_for(self, token: str | None) -> str | None:
        """The role a token earns; None if it may not connect. Addresses play no part."""
        if token is not None and len(token) <= MAX_TOKEN_LENGTH:
            # compare against both so the time does not say which one matched
            control = same_secret(token, self.control_token)
            view = same_secret(token, self.token)
            if control:
                return CONTROLLER
            if view:
                return VIEWER
            return None
        if token is not None:
            return None
        return None if self.token else VIEWER

    # -- the one call ---------------------------------------------------------------
    def admit(self, request: Handshake, remote: str, now: float, connected: int = 0) -> Admission | Refusal:
        """Decide one HTTP request; see the module docstring for the order of checks."""
        hosts = request.get_all("Host")
        if len(hosts) != 1 or split_host(hosts[0]) is None:
            return Refusal(400, "bad request: exactly one valid Host header is needed", "bad-host")
        if not self.host_allowed(hosts[0]):
            return Refusal(
                421,
                f"misdirected request: this server does not answer to Host {quote(hosts[0])} "
                "(start it with allowed_hosts=<name> to serve that name)",
                "host",
            )
        method = request.method.upper()
        if method not in ALLOWED_METHODS:
            return Refusal(
                405,
                f"method {quote(request.method, 20)} not allowed: GET or HEAD",
                "method",
                (("Allow", ", ".join(ALLOWED_METHODS)),),
            )
        client = self.client_address(request, remote)
        if not request.upgrade or method != "GET":
            return Admission(None, head=method == "HEAD", client=client)
        return self._admit_upgrade(request, client, now, connected)

    def _admit_upgrade(
        self, request: Handshake, client: str, now: float, connected: int
    ) -> Admission | Refusal:
        if query_has_token(request.target):
            return Refusal(
                403,
                "tokens are not accepted in the query string (it lands in logs): put it in the page "
                "URL's fragment (#token=... / #control=...) or send 'Authorization: Bearer <token>'",
                "query-token",
            )
        origins = request.get_all("Origin")
        origin = origins[0] if origins else None
        if not origins and not _upgrading(request):
            origin = _referer_origin(request)
        if len(origins) > 1 or not self.accepts_origin(origin):
            return Refusal(
                403,
                f"origin {quote(origin or '')} is not allowed: open the viewer from an address this server "
                "serves (behind a proxy: public_url, the address users open, with its port unless it is "
                "443/80), or start it with allow_origin=<origin>",
                "origin",
            )
        try:
            token = extract_token(request.get_all("Authorization"), request.get_all("Sec-WebSocket-Protocol"))
        except TokenError as error:
            return Refusal(400, f"bad token: {error}", "bad-token-format")
        role = self.role_for(token)
        if role is None:
            if token is None:
                return Refusal(
                    403,
                    "this server needs a token: open the URL with #token=... or send 'Authorization: Bearer <token>'",
                    "missing-token",
                )
            wait = self.throttle.retry_after(client, now)
            if wait > 0:  # not counted: hammering does not make the wait longer
                seconds = max(1, math.ceil(wait))
                return Refusal(
                    429,
                    f"invalid token, and too many wrong tokens lately; try again in {seconds} s",
                    "throttled",
                    (("Retry-After", str(seconds)),),
                )
            self.throttle.failed(client, now)
            return Refusal(403, "invalid token", "bad-token")
        if connected >= self.capacity(role):
            return Refusal(
                503,
                f"server full ({self.max_clients} clients); try again later",
                "full",
                (("Retry-After", str(FULL_RETRY_AFTER)),),
            )
        return Admission(role, client=client)


def _upgrading(request: Handshake) -> bool:
    return any("websocket" in value.lower() for value in request.get_all("Upgrade"))


def _referer_origin(request: Handshake) -> str | None:
    """The origin of the request's one ``Referer``; None without one, or one that names no http(s) origin."""
    referers = request.get_all("Referer")
    return origin_of(referers[0]) if len(referers) == 1 else None


__all__ = ["CONTROLLER", "CONTROLLER_SLOTS", "VIEWER", "Policy"]
