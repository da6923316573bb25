"""glyphcast: one stream of text frames, carried side by side to many displays.

The public surface::

    from glyphcast import Frame, Display, Displays, open_display, open_displays, hookimpl
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from glyphcast.clients import ClientInfo
from glyphcast.codec import Codec, CodecError
from glyphcast.display import Display, FrameDisplay, ProducerDisplay
from glyphcast.errors import DisplayError, GlyphcastError, OptionError, UnknownNameError
from glyphcast.frame import Delta, Frame
from glyphcast.hookspecs import hookimpl
from glyphcast.plugins import (
    PluginWarning,
    available_displays,
    available_sources,
    get_registry,
    open_display,
    open_source,
)
from glyphcast.source import Cue, Source
from glyphcast.stream import Displays, Stream

#: The one place the version is written: hatch builds the distribution's metadata from it.
__version__ = "0.1.0"


def open_displays(specs: Iterable[str | tuple[str, dict[str, Any]]]) -> Displays:
    """A :class:`Displays` over the displays named in ``specs``.

    Each spec is ``"name"``, ``"name:key=value,..."`` or ``(name, options)``.
    A bad name or option raises before any display is created.
    """
    chosen: list[tuple[str, dict[str, Any]]] = [
        (spec, {}) if isinstance(spec, str) else spec for spec in specs
    ]
    displays = []
    try:
        for name, options in chosen:
            displays.append((name.partition(":")[0], open_display(name, **options)))
    except Exception:
        for _, display in displays:
            display.cleanup()
        raise
    return Displays(displays)


__all__ = [
    "ClientInfo",
    "Codec",
    "CodecError",
    "Cue",
    "Delta",
    "Display",
    "DisplayError",
    "Frame",
    "FrameDisplay",
    "GlyphcastError",
    "OptionError",
    "PluginWarning",
    "ProducerDisplay",
    "Source",
    "Displays",
    "Stream",
    "UnknownNameError",
    "__version__",
    "available_displays",
    "available_sources",
    "get_registry",
    "hookimpl",
    "open_display",
    "open_displays",
    "open_source",
]
