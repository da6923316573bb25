"""Where a display's tokens come from: an option, a file, an environment variable, or a fresh one per run.

Tokens given in argv show up in ``ps`` and shell history; a file
(``control_token_file=PATH``) or the environment (``GLYPHCAST_CONTROL_TOKEN``,
``GLYPHCAST_TOKEN``) keep them out. Without any control token, each run makes
a random one (the same for every display of the process, so displays sharing
a port agree) and prints the controller URL once.
"""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

from glyphcast import DisplayError

CONTROL_ENV = "GLYPHCAST_CONTROL_TOKEN"
VIEW_ENV = "GLYPHCAST_TOKEN"

_run_tokens: dict[str, str] = {}
_lock = threading.Lock()


def run_control_token(stream: str = "main") -> str:
    """This process's random control token for ``stream`` (made on first use; 32 url-safe characters).

    One per stream: whoever controls one stream on a port does not control the others.
    """
    with _lock:
        token = _run_tokens.get(stream)
        if token is None:
            token = _run_tokens[stream] = secrets.token_urlsafe(24)
        return token


def read_token_file(path: Path, option: str) -> str:
    """The token in ``path`` (surrounding whitespace stripped); a one-line DisplayError if unusable."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise DisplayError(f"{option}: cannot read {path}: {error.strerror or error}") from None
    if not token:
        raise DisplayError(f"{option}: {path} is empty; put the token on its first line")
    return token


def resolve(given: str, file: Path | None, env: str, option: str) -> str:
    """The token from the option, else the file, else the environment variable, else ""."""
    if given and file is not None:
        raise DisplayError(f"give {option} or {option}_file, not both")
    if given:
        return given
    if file is not None:
        return read_token_file(file, f"{option}_file")
    return os.environ.get(env, "").strip()
