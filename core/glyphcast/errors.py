"""Every error glyphcast raises on purpose, under one base: :class:`GlyphcastError`.

The hierarchy::

    GlyphcastError                  catch this to handle anything glyphcast refuses or reports
    ├── DisplayError                a display failed (also a RuntimeError)
    ├── OptionError                 a selection or option value is wrong (also a ValueError)
    │   ├── UnknownNameError        no display/source registered under that name
    │   ├── glyphcast_record.RecordingError   a recording cannot be created or written
    │   └── glyphcast_record.AsciicastError   a recording cannot be read
    └── CodecError                  a client message could not be decoded (also a ValueError)

Each error's message is one line that says what happened and what to do. The
second base classes (``RuntimeError``, ``ValueError``) are kept so code written
against them keeps catching the same errors.

Plugins put their own errors under the closest of these, so an engine (and the
CLI: an ``OptionError`` exits 2) can tell "you asked for something wrong" from
"something broke" without knowing every plugin.
"""

from __future__ import annotations


class GlyphcastError(Exception):
    """Base of every error glyphcast raises on purpose."""


class DisplayError(GlyphcastError, RuntimeError):
    """A display failed; the message says which and why.

    A worker's error comes back this way from the next ``show()`` (with the
    original error as ``__cause__``), and a :class:`~glyphcast.Displays` disables
    that display.
    """


class OptionError(GlyphcastError, ValueError):
    """A selection or option value is wrong; the message says what is valid."""


class UnknownNameError(OptionError):
    """No display/source with that name; the message lists the available ones."""


class CodecError(GlyphcastError, ValueError):
    """A client message could not be decoded; the text is sent back in an ``error`` reply."""


__all__ = ["CodecError", "DisplayError", "GlyphcastError", "OptionError", "UnknownNameError"]
