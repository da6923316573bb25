"""Tokens (sans-I/O): how strong a configured one must be, where they may travel in a request,
how they are read, how they are compared.

A token travels in ``Authorization: Bearer <token>`` or, from a browser (which
cannot set headers on a WebSocket), as one ``Sec-WebSocket-Protocol`` entry
``glyphcast.token.<base64url>``; never in a query string. Comparisons are
constant-time. A configured token must be worth at least
:data:`MIN_TOKEN_BITS` by :func:`token_bits`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import string
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

from glyphcast import CodecError
from glyphcast.protocol import TOKEN_SUBPROTOCOL_PREFIX, token_from_subprotocols

#: Query parameters that look like a token: refused, they end up in access logs.
QUERY_TOKEN_NAMES = frozenset({"token", "control", "control_token", "access_token", "view_token"})
#: Longer tokens are refused without comparing (they cannot match a sane token).
MAX_TOKEN_LENGTH = 1024


#: A configured token worth fewer bits (by :func:`token_bits`) is refused at start.
MIN_TOKEN_BITS = 128
#: What to do about a weak token, in the one line that refuses it.
STRONG_TOKEN_HINT = (
    "use at least 128 bits: 22+ random base64url characters, e.g. from "
    "`python -c 'import secrets; print(secrets.token_urlsafe(24))'`"
)

# The alphabets a token is measured against, smallest first: the first that holds all of its characters counts.
_ALPHABETS = (
    frozenset(string.digits),
    frozenset(string.digits + "abcdef"),
    frozenset(string.digits + "ABCDEF"),
    frozenset(string.digits + string.ascii_lowercase),
    frozenset(string.digits + string.ascii_uppercase),
    frozenset(string.digits + string.ascii_letters),
    frozenset(string.digits + string.ascii_letters + "-_"),  # base64url: what secrets.token_urlsafe makes
)
_PRINTABLE_ASCII = 95  # anything else: counted as if every character were printable ASCII


def token_bits(token: str) -> float:
    """An upper bound of the token's strength: its length x log2 of the smallest alphabet holding its characters.

    The alphabets: digits (10), hexadecimal in one case (16), digits and
    letters in one case (36), digits and letters (62), base64url (64), and
    printable ASCII (95) for anything else. A random token is worth about
    this much; a chosen word or a repeated pattern is worth far less, which no
    formula can see: only random tokens are strong.
    """
    chars = set(token)
    size = next((len(alphabet) for alphabet in _ALPHABETS if chars <= alphabet), _PRINTABLE_ASCII)
    return len(token) * math.log2(size)


def weak_token(token: str, option: str) -> str | None:
    """The one-line refusal for ``option``'s value if it is under :data:`MIN_TOKEN_BITS`, else None.

    Never quotes the token.
    """
    bits = token_bits(token)
    if bits >= MIN_TOKEN_BITS:
        return None
    return f"{option} is {math.floor(bits)} bits; {STRONG_TOKEN_HINT}"


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
