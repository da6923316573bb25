"""glyphcast-pty: any terminal program as a glyphcast stream.

- source ``pty`` (:class:`PtySource`): a command in a pseudo-terminal of the
  stream's size, its output through a real VT emulator (:mod:`glyphcast.vt`),
  frames with the cursor when the screen changed; controllers type into it.
- ``glyphcast share -- COMMAND`` (:class:`SharedProgram`): the same, while the
  person sharing keeps using the program in their own terminal.
"""

from __future__ import annotations

from glyphcast_pty.budget import InputBudget
from glyphcast_pty.pacing import Pacer
from glyphcast_pty.plugin import open_pty
from glyphcast_pty.process import CommandNotFound, PtyProcess
from glyphcast_pty.source import PtySource
from glyphcast_pty.terminal import LocalTerminal, SharedProgram

#: The one place the version is written: hatch builds the distribution's metadata from it.
__version__ = "0.1.0"

__all__ = [
    "CommandNotFound",
    "InputBudget",
    "LocalTerminal",
    "Pacer",
    "PtyProcess",
    "PtySource",
    "SharedProgram",
    "__version__",
    "open_pty",
]
