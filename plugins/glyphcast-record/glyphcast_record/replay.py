"""The ``replay`` source: any asciicast (v1, v2, v3) played back as frames to any display.

The whole file is parsed when the source is opened, so a missing, empty or
malformed recording fails before any display starts (the CLI exits 2), and so
does one whose terminal is larger than glyphcast's limit. A recording is input
from outside: its frames are rows of text and SGR (the emulator's, cleaned),
its marker labels plain text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from glyphcast import Cue
from glyphcast.protocol import MAX_LABEL, MAX_SIDE
from glyphcast.text import clean_text
from glyphcast.vt import Screen

from glyphcast_record.asciicast import AsciicastError, Recording, parse, parse_size

log = logging.getLogger("glyphcast.record")


def read_recording(path: str | Path) -> Recording:
    """Read and parse the recording at ``path``; every problem is an :class:`AsciicastError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AsciicastError(f"{path}: no such file; give the path of an asciicast recording") from None
    except IsADirectoryError:
        raise AsciicastError(f"{path}: is a directory; give the path of an asciicast recording") from None
    except OSError as error:
        raise AsciicastError(f"{path}: cannot read it: {error.strerror}") from None
    # A crash can cut the last line inside a multi-byte character: decode leniently
    # and let the parser skip that torn line.
    recording = parse(raw.decode("utf-8", errors="replace"), str(path))
    if recording.torn_line is not None:
        log.warning(
            "%s:%d: skipped an incomplete last line (a crash cut the write short)", path, recording.torn_line
        )
    if recording.oversized:
        log.warning(
            "%s is over glyphcast's limit of %dx%d: skipped (%d such resize events in all); the replay "
            "keeps the size it had",
            recording.first_oversized,
            MAX_SIDE,
            MAX_SIDE,
            recording.oversized,
        )
    return recording


class ReplaySource:
    """Cues that play ``recording`` through a terminal emulator (:mod:`glyphcast.vt`) at its
    recorded timing; each frame carries the program's cursor (None while it hid it).

    ``speed`` divides every time; gaps between events longer than
    ``idle_time_limit`` (else the header's) are cut to it. ``loop`` plays the
    recording again after it ends, forever, each pass on a fresh screen (its
    first frame follows the last one directly: no blank frame in between).
    """

    def __init__(
        self,
        recording: Recording,
        speed: float = 1.0,
        idle_time_limit: float | None = None,
        loop: bool = False,
    ) -> None:
        #: What viewers are told when the replay is over (``end``); a loop never ends.
        self.end_reason = "the recording ended"
        if not speed > 0:
            raise AsciicastError(f"replay: speed={speed} must be a number > 0 (1.0 plays in real time)")
        if idle_time_limit is not None and not idle_time_limit > 0:
            raise AsciicastError(f"replay: idle_time_limit={idle_time_limit} must be a number of seconds > 0")
        self.recording = recording
        self.speed = speed
        self.idle_time_limit = idle_time_limit or recording.header.idle_time_limit
        self.loop = loop
        self.width = recording.header.width
        self.height = recording.header.height

    def timeline(self) -> Iterator[tuple[float, int]]:
        """(time to show it, index) for each event: idle gaps capped, then scaled by speed."""
        limit = self.idle_time_limit
        previous = at = 0.0
        for index, event in enumerate(self.recording.events):
            gap = event.time - previous
            previous = event.time
            at += min(gap, limit) if limit is not None else gap
            yield at / self.speed, index

    def __iter__(self) -> Iterator[Cue]:
        screen = _screen(self.width, self.height)
        events = self.recording.events
        offset = 0.0
        size: tuple[int, int] | None = None  # a size the next frame must bring (a loop's restart)
        while True:
            end = offset
            for at, index in self.timeline():
                event = events[index]
                end = offset + at
                if event.code == "o":
                    screen.feed(event.data)
                    rows, cursor = screen.snapshot()
                    yield Cue(rows=rows, at=end, cursor=cursor, size=size)
                    size = None
                elif event.code == "r":
                    width, height = parse_size(event.data)
                    screen.resize(max(width, _MIN_WIDTH), height)
                    rows, cursor = screen.snapshot()
                    yield Cue(rows=rows, at=end, size=(width, height), cursor=cursor)
                    size = None
                elif event.code == "m":
                    yield Cue(at=end, marker=clean_text(event.data, MAX_LABEL))
            if not self.loop or not events:
                return
            # Start over on a fresh screen of the recording's own size. No blank frame in between:
            # the next pass's first frame replaces the last one (a blank would flash on every loop).
            offset = end
            screen = _screen(self.width, self.height)
            size = (self.width, self.height)


# avt needs two columns; a one-column recording is emulated two wide (its one column is what shows).
_MIN_WIDTH = 2


def _screen(width: int, height: int) -> Screen:
    return Screen(max(width, _MIN_WIDTH), height)


def open_replay(
    width: int = 80,
    height: int = 24,
    path: str = "",
    speed: float = 1.0,
    idle_time_limit: float | None = None,
    loop: bool = False,
) -> ReplaySource:
    """Factory for the ``replay`` source. The recording's header sets the size; ``width``/``height`` are ignored."""
    if not path:
        raise AsciicastError(
            "replay needs a recording: --source replay:path=FILE.cast (or glyphcast replay FILE)"
        )
    return ReplaySource(read_recording(path), speed=speed, idle_time_limit=idle_time_limit, loop=loop)
