"""glyphcast's environment variables, and which of them are secrets.

Every variable glyphcast or a plugin reads is named ``GLYPHCAST_*``. Those
whose name contains ``TOKEN``, ``SECRET`` or ``PASSWORD`` (``GLYPHCAST_CONTROL_TOKEN``,
``GLYPHCAST_TOKEN``, ...) are secrets: a program glyphcast starts (the ``pty``
source, ``glyphcast share``) must not inherit them, or typing ``env`` in a
shared shell would show every viewer the token. A plugin that reads a new
secret from the environment names it by this rule, and is then covered.
"""

from __future__ import annotations

from collections.abc import Mapping

PREFIX = "GLYPHCAST_"
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD")


def is_secret(name: str) -> bool:
    """Whether the variable ``name`` holds one of glyphcast's secrets (by the rule above; case does not matter)."""
    upper = name.upper()
    return upper.startswith(PREFIX) and any(word in upper for word in SECRET_WORDS)


def without_secrets(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` less glyphcast's secrets: the environment to start another program with."""
    return {name: value for name, value in env.items() if not is_secret(name)}
