"""glyphcast-record: the stream as an asciicast recording, and any asciicast back as a stream.

- display ``record`` (:class:`RecordDisplay`): asciicast v2 (or v3) that ``asciinema play``
  and asciinema-player play, with a terminal program's cursor; lossless, written by
  its own thread, crash-safe.
- source ``replay`` (:class:`ReplaySource`): asciicast v1/v2/v3 through asciinema's
  own terminal emulator (``glyphcast.vt``), as frames with colours and the cursor,
  at the recorded timing.
"""

from __future__ import annotations

from glyphcast_record.asciicast import AsciicastError, CastEncoder, Event, Header, Recording, parse
from glyphcast_record.recorder import RecordDisplay, RecordingError
from glyphcast_record.replay import ReplaySource, open_replay, read_recording

#: The one place the version is written: hatch builds the distribution's metadata from it.
__version__ = "0.1.0"

__all__ = [
    "AsciicastError",
    "CastEncoder",
    "Event",
    "Header",
    "RecordDisplay",
    "Recording",
    "RecordingError",
    "ReplaySource",
    "__version__",
    "open_replay",
    "parse",
    "read_recording",
]
