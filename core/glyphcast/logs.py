"""Log lines that are safe on a terminal, whatever they quote.

glyphcast's log lines quote what came from outside (a request path, a header,
a Redis error, a recording's text), and stderr is often a terminal: under
``glyphcast share`` it is the very terminal the shared program runs in. A
quoted escape sequence could set its title, write its clipboard (OSC 52) or
ask it a question (CSI 6n) whose answer arrives as keystrokes. So:

- call sites escape what they quote (:func:`escape`, or ``%r``);
- every handler glyphcast installs formats with :class:`EscapingFormatter`,
  which escapes whatever a call site missed: the second line of defence.
"""

from __future__ import annotations

import logging
import re
import sys
from types import TracebackType
from typing import TextIO

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

# C0 controls, DEL, C1 controls, the invisible bidirectional controls and the Unicode line and
# paragraph separators: a log line needs none of them, and each can rewrite what a terminal
# or a log viewer shows. The second pattern keeps newlines (a traceback's lines).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_CONTROLS_BUT_NEWLINE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)

#: How the CLI's log lines look.
FORMAT = "glyphcast: %(message)s"


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: object) -> str:
    """``str(text)`` with every control character written as its escape (``\\x1b``, ``\\u202e``), quotes not added."""
    text = str(text)
    return _CONTROLS.sub(_escaped, text) if _CONTROLS.search(text) else text


class EscapingFormatter(logging.Formatter):
    """A :class:`logging.Formatter` whose lines carry no control characters.

    The message (with its arguments) is escaped whole, newlines included, so a
    quoted string can neither draw on the terminal nor forge a log line; a
    traceback keeps its newlines and nothing else.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return escape(super().formatMessage(record))

    def formatException(self, ei: ExcInfo) -> str:  # noqa: N802 - logging's name
        return _CONTROLS_BUT_NEWLINE.sub(_escaped, super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return _CONTROLS_BUT_NEWLINE.sub(_escaped, super().formatStack(stack_info))


def stderr_handler(stream: TextIO | None = None, fmt: str = FORMAT) -> logging.Handler:
    """A handler writing to ``stream`` (stderr) through :class:`EscapingFormatter`: what the CLI logs with."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(EscapingFormatter(fmt))
    return handler
