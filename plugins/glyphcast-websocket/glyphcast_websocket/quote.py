"""A value that came from a client, quoted so that it is safe in a reply or a log line (sans-I/O)."""

from __future__ import annotations


def quote(value: object, limit: int = 80) -> str:
    """``repr(value)`` (quotes added, control characters escaped), at most ``limit`` characters of it.

    A longer string is cut before it is quoted (``'abc...'``); any other value's
    repr is cut after. Whatever a client sends, the result is one short line.
    """
    if isinstance(value, str):
        return repr(value if len(value) <= limit else value[:limit] + "...")
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
