"""asciicast, the format asciinema records and plays: writing ours (v2 or v3), reading anyone's (v1, v2, v3).

Sans-I/O: text and frames in, text and events out. No files, threads or clocks
here — the recorder and the replay source move the bytes and read the time.

Formats (https://docs.asciinema.org/manual/asciicast/):

- v1: one JSON object ``{"version": 1, "width", "height", "stdout": [[delay, data], ...]}``.
- v2: a header line ``{"version": 2, "width", "height", ...}``, then one JSON array
  per line ``[time, code, data]`` with ``time`` in seconds from the start.
- v3: a header line ``{"version": 3, "term": {"cols", "rows"}, ...}``, then
  ``[interval, code, data]`` lines where ``interval`` is the time since the
  previous event; lines starting with ``#`` are comments.

Event codes: ``o`` output, ``r`` resize (``"COLSxROWS"``), ``m`` marker; readers
skip the rest (``i`` input, ``x`` exit, ...), as asciinema's own player does.

A recording is input from outside, read like a client's message: a terminal
larger than :data:`glyphcast.protocol.MAX_SIDE` on a side is refused in the
header and skipped in an ``r`` event (an emulator's memory grows with its
size), and marker labels become plain text of at most
:data:`~glyphcast.protocol.MAX_LABEL` characters.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from glyphcast import Frame, OptionError
from glyphcast.paint import CLEAR_SCREEN, paint_cursor, paint_rows
from glyphcast.protocol import MAX_LABEL, MAX_SIDE
from glyphcast.text import clean_text

TERM = "xterm-256color"
#: The event codes a reader acts on; anything else is skipped.
KNOWN_CODES = frozenset({"o", "r", "m"})


class AsciicastError(OptionError):
    """A recording cannot be read; the one-line message names the file, the line and the problem.

    An :class:`glyphcast.OptionError` (so a ``ValueError``): the CLI reports it and exits 2.
    """


# -- writing (v2, v3) ------------------------------------------------------------

#: The versions the recorder writes: v2 (asciinema 2, every player) and v3 (asciinema 3's default).
WRITABLE = (2, 3)


def header_line(
    width: int,
    height: int,
    timestamp: int,
    title: str | None = None,
    idle_time_limit: float | None = None,
    version: int = 2,
) -> str:
    """The header line (with its newline) of a v2 or v3 recording that starts at ``timestamp``."""
    header: dict[str, Any]
    if version == 3:
        header = {"version": 3, "term": {"cols": width, "rows": height, "type": TERM}, "timestamp": timestamp}
    elif version == 2:
        header = {
            "version": 2,
            "width": width,
            "height": height,
            "timestamp": timestamp,
            "env": {"TERM": TERM},
        }
    else:
        raise ValueError(f"asciicast v{version} is not written; choose one of {WRITABLE}")
    if title:
        header["title"] = title
    if idle_time_limit is not None:
        header["idle_time_limit"] = idle_time_limit
    return json.dumps(header, ensure_ascii=False) + "\n"


def event_line(time: float, code: str, data: str) -> str:
    """One event line (with its newline). ``time`` is v2's time since the start or v3's interval since
    the previous event, rounded to microseconds as asciinema does."""
    return json.dumps([round(time, 6), code, data], ensure_ascii=False) + "\n"


class CastEncoder:
    """Turns a display's calls (frames, clears, resizes, markers) into asciicast event lines.

    ``version`` 2 writes each event's time since the start, 3 its interval since
    the previous event. ``start`` is the wall-clock second the recording's time 0
    stands for and ``offset`` the time of the first event (non-zero when appending
    to an earlier recording, whose last event was at ``offset``). Event times never
    go backwards, even if the wall clock does.
    The first frame, and the first after a clear or a resize, is a full redraw;
    every other frame writes only its changed rows, one ``o`` event per frame.
    From the first frame that has a cursor on, every frame's event ends with the
    cursor put back where the frame has it, or hidden (``glyphcast.paint.paint_cursor``):
    a stream without cursors (an engine's) is written as it is drawn.
    """

    def __init__(self, width: int, height: int, start: float, offset: float = 0.0, version: int = 2) -> None:
        if version not in WRITABLE:
            raise ValueError(f"asciicast v{version} is not written; choose one of {WRITABLE}")
        self.width = width
        self.height = height
        self.start = start
        self.offset = offset
        self.version = version
        self.last_time = offset
        self.previous: Frame | None = None
        #: Whether the stream has had a cursor: from then on a frame without one has hidden it.
        self.has_cursor = False
        self._written = round(offset, 6)  # the time of the last event line, as written

    def time_at(self, wall: float) -> float:
        """The event time for wall-clock second ``wall``: never before the previous event."""
        self.last_time = max(self.last_time, self.offset + wall - self.start)
        return self.last_time

    def _event(self, wall: float, code: str, data: str) -> str:
        time = round(self.time_at(wall), 6)
        if self.version == 3:
            # Intervals between the times v2 would write: summed up by a reader, they do not drift.
            time, self._written = time - self._written, time
        return event_line(time, code, data)

    def frame(self, frame: Frame) -> str:
        """The event lines for one frame: a resize first if its size changed, then one ``o`` event."""
        lines = ""
        if (frame.width, frame.height) != (self.width, self.height):
            lines = self.resize(frame.width, frame.height, frame.ts / 1000.0)
        if self.previous is None:
            data = CLEAR_SCREEN + paint_rows(((i, r) for i, r in enumerate(frame.rows) if r), self.width)
        else:
            changed = frame.changed_rows(self.previous)
            data = paint_rows(((i, frame.rows[i]) for i in changed), self.width)
        self.previous = frame
        self.has_cursor = self.has_cursor or frame.cursor is not None
        if self.has_cursor:
            data += paint_cursor(frame.cursor)
        return lines + self._event(frame.ts / 1000.0, "o", data)

    def clear(self, wall: float) -> str:
        """A clear-screen ``o`` event; the next frame is drawn in full."""
        self.previous = None
        return self._event(wall, "o", CLEAR_SCREEN)

    def resize(self, width: int, height: int, wall: float) -> str:
        """An ``r`` event (none if the size is unchanged); the next frame is drawn in full."""
        if (width, height) == (self.width, self.height):
            return ""
        self.width, self.height = width, height
        self.previous = None
        return self._event(wall, "r", f"{width}x{height}")

    def marker(self, label: str, wall: float) -> str:
        """An ``m`` event labelling this point of the recording: plain text, as players show it."""
        return self._event(wall, "m", clean_text(label, MAX_LABEL))


# -- reading (v1, v2, v3) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Header:
    """What a reader needs from a recording's header, whatever its version."""

    version: int
    width: int
    height: int
    timestamp: int | None = None
    title: str | None = None
    idle_time_limit: float | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """An event at ``time`` seconds from the start (absolute, whatever the file's version)."""

    time: float
    code: str
    data: str


@dataclass(slots=True)
class Recording:
    """A parsed recording: its header and the events a reader acts on (``o``, ``r``, ``m``).

    ``duration`` is the time of the last event of any code; ``size`` the terminal
    size after the last resize; ``torn_line`` the number of an unreadable last line
    that was skipped (a write cut short by a crash); ``skipped`` counts the events
    of other codes by code; ``oversized`` counts the resize events skipped for a
    size over :data:`~glyphcast.protocol.MAX_SIDE`, and ``first_oversized`` says
    where the first one was and what it asked for.
    """

    header: Header
    events: list[Event] = field(default_factory=list)
    duration: float = 0.0
    size: tuple[int, int] = (0, 0)
    torn_line: int | None = None
    skipped: Counter[str] = field(default_factory=Counter)
    oversized: int = 0
    first_oversized: str | None = None


def parse_size(data: str) -> tuple[int, int]:
    """``"80x24"`` → ``(80, 24)``; raises ValueError on anything else."""
    cols, sep, rows = data.partition("x")
    width, height = int(cols), int(rows)
    if not sep or width < 1 or height < 1:
        raise ValueError(f"size {data!r} is not COLSxROWS")
    return width, height


def _positive_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _header(obj: Any, name: str, line: int) -> Header:
    where = f"{name}:{line}"
    if not isinstance(obj, dict):
        raise AsciicastError(f"{where}: the header is not a JSON object; is this an asciicast file?")
    version = obj.get("version")
    if version == 2:
        width, height = obj.get("width"), obj.get("height")
    elif version == 3:
        term = obj.get("term")
        if not isinstance(term, dict):
            raise AsciicastError(f'{where}: a version 3 header needs "term": {{"cols": ..., "rows": ...}}')
        width, height = term.get("cols"), term.get("rows")
    else:
        raise AsciicastError(f"{where}: unsupported asciicast version {version!r} (readable: 1, 2, 3)")
    if not (_positive_int(width) and _positive_int(height)):
        raise AsciicastError(
            f"{where}: the header's terminal size {width!r}x{height!r} is not two positive integers"
        )
    _check_size(width, height, where)
    limit = obj.get("idle_time_limit")
    title = obj.get("title")
    timestamp = obj.get("timestamp")
    return Header(
        version=version,
        width=width,
        height=height,
        timestamp=int(timestamp) if _number(timestamp) else None,
        title=title if isinstance(title, str) else None,
        idle_time_limit=float(limit) if _number(limit) and limit > 0 else None,
    )


def _check_size(width: int, height: int, where: str) -> None:
    if width > MAX_SIDE or height > MAX_SIDE:
        raise AsciicastError(
            f"{where}: the header's terminal size {width}x{height} is over glyphcast's limit of "
            f"{MAX_SIDE}x{MAX_SIDE}; this recording cannot be replayed"
        )


def _add(recording: Recording, time: float, code: str, data: str, where: str) -> None:
    recording.duration = time
    if code not in KNOWN_CODES:
        recording.skipped[code] += 1
        return
    if code == "r":
        try:
            size = parse_size(data)
        except ValueError as error:
            raise AsciicastError(f"{where}: bad resize event: {error}") from None
        if max(size) > MAX_SIDE:
            # Skipped, not an error: the rest of the recording still plays, at the size before it.
            recording.oversized += 1
            if recording.first_oversized is None:
                recording.first_oversized = f"{where}: a resize to {size[0]}x{size[1]}"
            return
        recording.size = size
    recording.events.append(Event(time, code, data))


def _parse_v1(text: str, name: str) -> Recording | None:
    """The v1 recording in ``text``, or None if ``text`` is not one JSON object of version 1."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict) or obj.get("version") != 1:
        return None
    width, height = obj.get("width"), obj.get("height")
    if not (_positive_int(width) and _positive_int(height)):
        raise AsciicastError(
            f"{name}:1: the v1 header's size {width!r}x{height!r} is not two positive integers"
        )
    _check_size(width, height, f"{name}:1")
    stdout = obj.get("stdout")
    if not isinstance(stdout, list):
        raise AsciicastError(f'{name}:1: a version 1 recording needs a "stdout" list of [delay, data]')
    title = obj.get("title")
    recording = Recording(Header(1, width, height, title=title if isinstance(title, str) else None))
    recording.size = (width, height)
    time = 0.0
    for index, item in enumerate(stdout):
        if not (
            isinstance(item, list)
            and len(item) == 2
            and _number(item[0])
            and item[0] >= 0
            and isinstance(item[1], str)
        ):
            raise AsciicastError(f"{name}: stdout[{index}] is {str(item)[:60]}, not [delay, text]")
        time += item[0]
        _add(recording, time, "o", item[1], f"{name}: stdout[{index}]")
    return recording


def parse(text: str, name: str = "<recording>") -> Recording:
    """Parse an asciicast of any version. ``name`` (the file) goes into every error message.

    An unreadable LAST line is skipped and reported in ``torn_line`` (a crash can
    cut the last write short); an unreadable line anywhere else raises
    :class:`AsciicastError` naming it. Unknown event codes are counted and skipped.
    """
    if not text.strip():
        raise AsciicastError(f"{name}: the file is empty; expected an asciicast recording (asciinema rec)")
    lines = text.split("\n")
    first = next(i for i, line in enumerate(lines) if line.strip())
    try:
        header_obj = json.loads(lines[first])
    except json.JSONDecodeError as error:
        recording = _parse_v1(text, name)
        if recording is not None:
            return recording
        raise AsciicastError(
            f"{name}:{first + 1}: the header is not valid JSON ({error.msg}); is this an asciicast file?"
        ) from None
    if isinstance(header_obj, dict) and header_obj.get("version") == 1:
        recording = _parse_v1(text, name)
        if recording is not None:
            return recording
    recording = Recording(_header(header_obj, name, first + 1))
    recording.size = (recording.header.width, recording.header.height)
    relative = recording.header.version == 3
    last = max(i for i, line in enumerate(lines) if line.strip())
    time = 0.0
    for index in range(first + 1, last + 1):
        line = lines[index]
        if not line.strip() or (relative and line.lstrip().startswith("#")):
            continue
        where = f"{name}:{index + 1}"
        try:
            item = json.loads(line)
            if not isinstance(item, list) or len(item) != 3:
                raise ValueError("an event is a JSON array [time, code, data]")
            stamp, code, data = item
            if not (_number(stamp) and stamp >= 0):
                raise ValueError(f"the time {stamp!r} is not a number >= 0")
            if not isinstance(code, str) or not isinstance(data, str):
                raise ValueError("the code and the data must be strings")
        except ValueError as error:  # JSONDecodeError is a ValueError
            if index == last:
                recording.torn_line = index + 1
                break
            raise AsciicastError(f"{where}: unreadable event ({error}): {line[:60]!r}") from None
        # v2 times are absolute; a file with a time that steps back plays it at once.
        time = time + stamp if relative else max(time, float(stamp))
        _add(recording, time, code, data, where)
    return recording
