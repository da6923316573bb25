"""Who may connect and who may control (sans-I/O): origin, tokens, roles.

Rules (wire protocol v1): a browser's ``Origin`` must match the ``Host`` it
connected to unless listed in ``allow_origin`` (no ``Origin`` at all means a
non-browser client, allowed); a ``token`` is needed to connect when one is set;
the ``control_token`` makes a client a controller; without a control token,
loopback clients are controllers and everyone else a viewer.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

VIEWER = "viewer"
CONTROLLER = "controller"


def is_loopback(host: str) -> bool:
    """Whether a peer address (``"127.0.0.1"``, ``"::1"``, ...) is this machine."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


def _same(given: str, secret: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class Policy:
    """A hub's access rules. Empty strings mean "not set"."""

    token: str = ""
    control_token: str = ""
    allow_origin: tuple[str, ...] = ()

    def origin_allowed(self, origin: str | None, host: str | None) -> bool:
        """A browser may connect only from a page served by this host, or an allowed origin."""
        if origin is None:
            return True
        if "*" in self.allow_origin or origin.rstrip("/") in {o.rstrip("/") for o in self.allow_origin}:
            return True
        if not host:
            return False
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc.lower() == host.strip().lower()

    def role(self, token: str | None, remote_host: str) -> str | None:
        """The role a client gets, or None if it may not connect at all."""
        given = token or ""
        if self.control_token and given and _same(given, self.control_token):
            return CONTROLLER
        if self.token and not (given and _same(given, self.token)):
            return None
        if self.control_token:
            return VIEWER
        return CONTROLLER if is_loopback(remote_host) else VIEWER
