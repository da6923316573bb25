"""Whose request it is (sans-I/O): the client's address, from the peer or, behind trusted proxies,
from ``X-Forwarded-For`` / ``Forwarded`` (RFC 7239).

Only when the peer (the address the connection came from) is one of the
operator's ``trusted_proxies`` are those headers read at all; otherwise any
client could claim any address. Each proxy appends the address it saw, so the
list is read from the right: the client is the right-most address that is not
itself a trusted proxy (what reached the first trusted proxy). An entry that
is not an address (``unknown``, an RFC 7239 obfuscated name, garbage) ends
the walk at the trusted hop that wrote it. A request that carries both headers
with different answers is taken as coming from the peer itself: one of them
was written by the client, and neither can be told apart.

The address decides nothing about roles (tokens do); it keys the failed-token
throttle and names the client in logs and hooks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

TRUSTED_PROXIES_EXAMPLE = "e.g. 127.0.0.1 or 10.0.0.0/8"


def parse_address(text: str) -> IPAddress | None:
    """An address as peers and proxies write it, or None.

    Accepts ``192.0.2.1``, ``192.0.2.1:4711``, ``2001:db8::1``,
    ``[2001:db8::1]:4711``, a zone (``fe80::1%eth0``); an IPv4-mapped IPv6
    address comes back as IPv4 (a dual-stack socket's view of an IPv4 peer).
    """
    text = text.strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or (text[end + 1 :] and not text[end + 1 :].startswith(":")):
            return None
        text = text[1:end]
    elif text.count(":") == 1:
        text = text.partition(":")[0]  # IPv4 with a port
    try:
        address = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``trusted_proxies`` entries (addresses or CIDR networks) -> networks; ValueError (one line) if unusable."""
    networks = []
    for entry in entries:
        try:
            network = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise ValueError(
                f"trusted_proxies: {entry!r} is not an address or network ({TRUSTED_PROXIES_EXAMPLE})"
            ) from None
        networks.append(network)
    return tuple(networks)


def _trusted(address: IPAddress, proxies: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


def _x_forwarded_for(values: Iterable[str]) -> list[str | None]:
    """Every entry of (possibly several) ``X-Forwarded-For`` lines, in order."""
    return [entry.strip() for value in values for entry in value.split(",") if entry.strip()]


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        out: list[str] = []
        escaped = False
        for char in value[1:-1]:
            if char == "\\" and not escaped:
                escaped = True
                continue
            out.append(char)
            escaped = False
        return "".join(out)
    return value


def _forwarded(values: Iterable[str]) -> list[str | None]:
    """The ``for=`` of every element of (possibly several) RFC 7239 ``Forwarded`` lines; None where it has none."""
    nodes: list[str | None] = []
    for value in values:
        for element in _split_outside_quotes(value, ","):
            if not element.strip():
                continue
            node = None
            for pair in _split_outside_quotes(element, ";"):
                name, eq, raw = pair.partition("=")
                if eq and name.strip().lower() == "for":
                    node = _unquote(raw)
            nodes.append(node)
    return nodes


def _walk(nodes: list[str | None], peer: IPAddress, proxies: Sequence[Network]) -> IPAddress:
    """The right-most node that is not a trusted proxy; the last trusted hop if a node is not an address."""
    hop = peer
    for node in reversed(nodes):
        address = parse_address(node) if node is not None else None
        if address is None:
            return hop
        hop = address
        if not _trusted(address, proxies):
            return address
    return hop  # every hop is a trusted proxy: the client is the first of them


def client_address(
    peer: str,
    forwarded_for: Sequence[str],
    forwarded: Sequence[str],
    proxies: Sequence[Network],
) -> str:
    """The client's address (canonical text) for a request from ``peer`` carrying these header lines.

    ``peer`` is returned as it is when it is not an IP address (nothing to
    compare with the proxies); headers are read only when it is a trusted proxy.
    """
    address = parse_address(peer)
    if address is None:
        return peer
    if not _trusted(address, proxies):
        return str(address)
    answers = set()
    if forwarded_for:
        answers.add(_walk(_x_forwarded_for(forwarded_for), address, proxies))
    if forwarded:
        answers.add(_walk(_forwarded(forwarded), address, proxies))
    return str(answers.pop()) if len(answers) == 1 else str(address)
