"""An edge's copy of the producer's stream, rebuilt from entries in order (sans-I/O).

:class:`Replica` takes checked entry messages (:mod:`.entries`), each with its
position in the Redis stream, and says what to show: a frame (with its
producer's seq, ts and cursor), a clear, the end (a heartbeat shows nothing); or :class:`Lost` when an
entry does not fit (a delta on a frame this replica does not have), so the
reader seeks the newest keyframe instead of showing a torn screen.

It shows each entry once: after a seek it replays the entries from the
keyframe to rebuild the screen, and shows only what comes after the last entry
it showed. That is decided by the entry's position, which Redis assigns and
keeps increasing, not by the producer's ``seq``, which whoever writes to the
stream can set: a forged frame numbered far ahead is shown once (writing to
the stream is control of the screen) but cannot make the producer's next
frames look old. The hub tells frames apart by seq, so a frame numbered like
the one shown just before it is not shown; the producer's next one is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from glyphcast import Frame

from glyphcast_redis import entries


@dataclass(frozen=True, slots=True)
class Show:
    """Show ``frame``; ``resized``: its size differs from the previous frame's."""

    frame: Frame
    resized: bool


@dataclass(frozen=True, slots=True)
class Clear:
    """Blank the screen."""


@dataclass(frozen=True, slots=True)
class End:
    """The producer's source ended; ``reason`` is what its viewers were told."""

    reason: str


@dataclass(frozen=True, slots=True)
class Lost:
    """An entry did not fit the screen: seek the newest keyframe."""

    why: str


Event = Show | Clear | End | Lost
#: Where an entry is in its Redis stream: its id, ``MILLISECONDS-SEQUENCE``, as two numbers.
Position = tuple[int, int]


def position(entry_id: bytes | str) -> Position:
    """The position of the entry with id ``entry_id`` (``b"1700000000000-3"``)."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    milliseconds, _, sequence = text.partition("-")
    return int(milliseconds), int(sequence or 0)


class Replica:
    """The screen as the entries read so far say it is, and what has been shown of it."""

    def __init__(self, width: int, height: int) -> None:
        #: The frame the entries rebuilt (None: waiting for a keyframe or a clear), and its producer run.
        self.screen: Frame | None = None
        self.run: str | None = None
        #: The blank screen after a clear counts as a place to start from.
        self._blank = False
        #: The position of the newest entry shown, the seq of the newest frame shown, and the size shown.
        self.shown_at: Position | None = None
        self.shown: int | None = None
        self.size = (width, height)

    def seek(self) -> None:
        """Entries will come again from a keyframe (a seek): forget the screen, remember what was shown."""
        self.screen, self._blank = None, False

    def apply(self, message: dict[str, Any], at: Position) -> Event | None:
        """What ``message`` (checked by :func:`entries.decode`), at position ``at``, means for the edge; None for nothing."""
        kind, run = message["type"], message["run"]
        new = self.shown_at is None or at > self.shown_at
        if kind == "frame":
            self.run = run
            return self._show(entries.frame_of(message), at, new)
        if kind == "delta":
            screen = self.screen
            if screen is None or run != self.run:
                if self.shown_at is None or (self._blank and run == self.run):
                    return None  # joined between a clear (or nothing) and the next keyframe: wait for it
                return self._lost(f"delta {message['seq']} of run {run} without its base {message['base']}")
            if message["base"] != screen.seq or (message["width"], message["height"]) != (
                screen.width,
                screen.height,
            ):
                return self._lost(
                    f"delta {message['seq']} applies to frame {message['base']}, not {screen.seq}"
                )
            rows = list(screen.rows)
            for index, line in message["rows"]:
                rows[index] = line
            frame = Frame(
                tuple(rows),
                screen.width,
                screen.height,
                message["seq"],
                float(message["ts"]),
                message.get("cursor"),
            )
            return self._show(frame, at, new)
        if kind == "heartbeat":
            return None  # the producer is there and shows nothing new (the source listens for it)
        if kind == "clear":
            self.screen, self.run, self._blank = None, run, True
            if not new:
                return None  # replayed after a seek
            self.shown_at = at
            return Clear()
        if not new:
            return None
        self.shown_at = at
        return End(message["reason"])

    def _show(self, frame: Frame, at: Position, new: bool) -> Show | None:
        self.screen, self._blank = frame, False
        if not new:
            return None  # replayed after a seek: shown already
        self.shown_at = at
        if frame.seq == self.shown:
            return None  # the hub would take it for the frame it has; the next one is shown
        self.shown = frame.seq
        resized = (frame.width, frame.height) != self.size
        self.size = (frame.width, frame.height)
        return Show(frame, resized)

    def _lost(self, why: str) -> Lost:
        self.seek()
        return Lost(why)
