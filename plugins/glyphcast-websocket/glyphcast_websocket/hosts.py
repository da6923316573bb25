"""Which host names and origins are this server's (sans-I/O): the Host rule (DNS rebinding) and the Origin rule.

A ``Host`` header or an origin is parsed once, strictly (:func:`split_host`),
then compared as (lower-case name, port); see :func:`host_allowed` and
:func:`origin_allowed`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def is_loopback(host: str) -> bool:
    """Whether an address (``"127.0.0.1"``, ``"::1"``, ``"localhost"``) is this machine."""
    host = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower().rstrip(".") == "localhost"


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")


def split_host(value: str, *, pattern: bool = False) -> tuple[str, int | None] | None:
    """``Host``/authority -> (lower-case name without trailing dot, port or None); None if malformed.

    IPv6 comes back without brackets (``"[::1]:80"`` -> ``("::1", 80)``).
    ``pattern`` also accepts a leading ``*.`` (an ``allowed_hosts`` entry).
    """
    value = value.strip()
    if not value or any(c in value for c in " \t/\\@?#,;") or len(value) > 300:
        return None
    port_text: str | None = None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[1:end], value[end + 1 :]
        try:
            ipaddress.IPv6Address(name.split("%", 1)[0])
        except ValueError:
            return None
        if rest:
            if not rest.startswith(":"):
                return None
            port_text = rest[1:]
    else:
        if value.count(":") > 1:
            return None  # a bare IPv6 address: Host needs brackets
        name, colon, port_text_or_empty = value.partition(":")
        if colon:
            port_text = port_text_or_empty
    if port_text is not None:
        if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5:
            return None
        port: int | None = int(port_text)
        if not 0 < int(port_text) < 65536:
            return None
    else:
        port = None
    name = name.lower()
    if name.endswith("."):
        name = name[:-1]
    if not name or name.endswith(".") or name.startswith("."):
        return None
    if not value.startswith("["):
        plain = name[2:] if pattern and name.startswith("*.") else name
        if not plain or not set(plain) <= _NAME_CHARS:
            return None
    return name, port


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def _allowed_by_list(name: str, port: int | None, allowed_hosts: Iterable[str]) -> bool:
    for entry in allowed_hosts:
        if entry == "*":
            return True
        parsed = split_host(entry, pattern=True)
        if parsed is None:
            continue
        allowed_name, allowed_port = parsed
        if allowed_name.startswith("*."):
            if not name.endswith(allowed_name[1:]):
                continue
        elif allowed_name != name:
            continue
        if allowed_port is None or allowed_port == port:
            return True
    return False


def host_allowed(bind_host: str, allowed_hosts: Iterable[str], host: str | None) -> bool:
    """Whether a ``Host`` header names this server (the defence against DNS rebinding).

    Always allowed: a loopback name (``localhost``, ``127.0.0.1``, ``[::1]``,
    any port) and anything in ``allowed_hosts`` (``name`` for any port,
    ``name:port`` for one port, ``*.example.com`` for subdomains, ``*`` for
    everything). Bound to a non-loopback address, an IP-literal Host is also
    allowed (the bind address itself, or any address when bound to a wildcard):
    a rebinding page only ever produces a Host that is a DNS name. Case, a
    trailing dot and IPv6 brackets do not matter; an absent or malformed Host
    is not allowed.
    """
    if host is None:
        return False
    parsed = split_host(host)
    if parsed is None:
        return False
    name, port = parsed
    if _allowed_by_list(name, port, allowed_hosts):
        return True
    address = _ip(name)
    if name == "localhost" or (address is not None and address.is_loopback):
        return True
    if address is None or is_loopback(bind_host):
        return False
    bound = _ip(bind_host.strip("[]"))
    if bound is None or bound.is_unspecified:
        return True  # 0.0.0.0 / :: (or a host name): any of this machine's IP literals
    return address == bound


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, normalized (lower case, default port dropped); None if not http(s)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    parsed = split_host(parts.netloc)
    if parsed is None:
        return None
    name, port = parsed
    host = f"[{name}]" if ":" in name else name
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def served_origin(origin: str, bind_host: str, port: int, allowed_hosts: Iterable[str]) -> bool:
    """Whether ``origin`` is one a server on (``bind_host``, ``port``) serves itself: http(s), a host it
    answers to (:func:`host_allowed`), its port."""
    parts = urlsplit(origin)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or parts.path or parts.query or parts.fragment:
        return False
    parsed = split_host(parts.netloc) if "@" not in parts.netloc else None
    if parsed is None:
        return False
    name, origin_port = parsed
    if (origin_port or DEFAULT_PORTS[scheme]) != port:
        return False
    return host_allowed(bind_host, allowed_hosts, f"[{name}]" if ":" in name else name)


def origin_allowed(
    origin: str | None,
    *,
    bind_host: str,
    port: int,
    allowed_hosts: Iterable[str],
    allow_origin: Iterable[str],
    public_url: str,
) -> bool:
    """The Origin rule: no ``Origin`` (not a browser) => yes; else an origin this server serves, lists
    in ``allow_origin`` (``*``: any) or is reached at (``public_url``).

    Never compared with the Host header: whoever sends the request sets both.
    """
    if origin is None:
        return True
    allow_origin = tuple(allow_origin)
    if "*" in allow_origin:
        return True
    normalized = origin_of(origin)
    if normalized is None:
        return False  # "null" (sandboxed/file pages), other schemes, garbage
    listed = {origin_of(o) for o in allow_origin}
    if public_url:
        listed.add(origin_of(public_url))
    return normalized in listed or served_origin(origin.strip(), bind_host, port, allowed_hosts)


def address_users_open(local_url: str, allowed_hosts: Iterable[str], public_url: str = "") -> str:
    """The address to give users, from the one the server listens on (``local_url``, ``http(s)://host:port/``).

    ``public_url`` when set (behind a reverse proxy: the proxy's address). Else,
    when users must name the server, the first host name in ``allowed_hosts``
    (not a ``*`` pattern) with the server's port: under TLS its certificate is
    for that name, not for 127.0.0.1, and bound beyond loopback its address is
    not one users type. Else ``local_url`` itself.
    """
    if public_url:
        return public_url
    parts = urlsplit(local_url)
    tls = parts.scheme == "https"
    bound = parts.hostname or ""
    if not tls and is_loopback(bound):
        return local_url
    for entry in allowed_hosts:
        parsed = split_host(entry) if "*" not in entry else None
        if parsed is None:
            continue
        name, port = parsed
        port = port or parts.port
        host = f"[{name}]" if ":" in name else name
        shown = "" if port is None or port == DEFAULT_PORTS[parts.scheme] else f":{port}"
        return f"{parts.scheme}://{host}{shown}/"
    return local_url
