"""Tokens in a request (sans-I/O): where they may travel, how they are read, how they are compared.

A token travels in ``Authorization: Bearer <token>`` or, from a browser (which
cannot set headers on a WebSocket), as one ``Sec-WebSocket-Protocol`` entry
``glyphcast.token.<base64url>``; never in a query string. Comparisons are
constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

from glyphcast import CodecError
from glyphcast.protocol import TOKEN_SUBPROTOCOL_PREFIX, token_from_subprotocols

#: Query parameters that look like a token: refused, they end up in access logs.
QUERY_TOKEN_NAMES = frozenset({"token", "control", "control_token", "access_token", "view_token"})
#: Longer tokens are refused without comparing (they cannot match a sane token).
MAX_TOKEN_LENGTH = 1024


class TokenError(ValueError):
    """A request carries tokens the server cannot read (more than one, bad encoding)."""


def _decode_token_subprotocol(entry: str) -> str:
    if len(entry) > len(TOKEN_SUBPROTOCOL_PREFIX) + MAX_TOKEN_LENGTH * 2:
        raise TokenError("the glyphcast.token.* subprotocol entry is too long")
    try:
        token = token_from_subprotocols([entry])
    except CodecError:
        raise TokenError("the glyphcast.token.* subprotocol entry is not base64url of UTF-8 text") from None
    assert token is not None  # entry starts with the prefix
    return token


def subprotocol_entries(values: Iterable[str]) -> list[str]:
    """Every entry of (possibly several) ``Sec-WebSocket-Protocol`` header values, in order."""
    return [entry.strip() for value in values for entry in value.split(",") if entry.strip()]


def extract_token(authorization: Iterable[str], subprotocols: Iterable[str]) -> str | None:
    """The token a request carries (``Authorization: Bearer`` or the subprotocol entry), or None.

    Raises :class:`TokenError` when it carries more than one, or one that cannot be decoded.
    """
    found: list[str] = []
    for value in authorization:
        scheme, _, credentials = value.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise TokenError("Authorization must be 'Bearer <token>'")
        found.append(credentials.strip())
    for entry in subprotocol_entries(subprotocols):
        if entry.startswith(TOKEN_SUBPROTOCOL_PREFIX):
            found.append(_decode_token_subprotocol(entry))
    if len(found) > 1:
        raise TokenError("more than one token (Authorization and/or glyphcast.token.*): send one")
    return found[0] if found else None


def query_has_token(target: str) -> bool:
    """Whether the request target's query string carries a token-like parameter."""
    query = urlsplit(target).query
    if not query:
        return False
    return any(name.lower() in QUERY_TOKEN_NAMES for name, _ in parse_qsl(query, keep_blank_values=True))


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def same_secret(given: str, secret: str) -> bool:
    """Constant-time equality (hashing first makes the time independent of both lengths too)."""
    return bool(secret) and hmac.compare_digest(_digest(given), _digest(secret))


_SECRETS = re.compile(
    r"(?i)(bearer\s+)\S+"
    r"|(" + re.escape(TOKEN_SUBPROTOCOL_PREFIX) + r")[A-Za-z0-9_=-]+"
    r"|([?&](?:" + "|".join(sorted(QUERY_TOKEN_NAMES)) + r")=)[^&\s]*"
)


def redact(text: str) -> str:
    """``text`` with every token it carries (Bearer, subprotocol entry, query parameter) replaced."""
    return _SECRETS.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + "[redacted]", text)


class RedactTokens(logging.Filter):
    """Keeps tokens out of websockets' own DEBUG log, which prints every request line and header."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def redact_library_logs(logger: logging.Logger) -> None:
    """Install :class:`RedactTokens` on ``logger`` once."""
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
