"""An edge's copy of the producer's stream, rebuilt from entries in order (sans-I/O).

:class:`Replica` takes checked entry messages (:mod:`.entries`) and says what
to show: a frame (with its producer's seq, ts and cursor), a clear, the end;
or :class:`Lost` when an entry does not fit (a delta on a frame this replica
does not have), so the reader seeks the newest keyframe instead of showing a
torn screen. It shows each frame once: after a seek it replays the entries
from the keyframe to rebuild the screen, and shows only frames newer than
the last one shown (unless the producer restarted, a new ``run``).
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


class Replica:
    """The screen as the entries read so far say it is, and what has been shown of it."""

    def __init__(self, width: int, height: int) -> None:
        #: The frame the entries rebuilt (None: waiting for a keyframe or a clear).
        self.screen: Frame | None = None
        #: The blank screen after a clear counts as a place to start from.
        self._blank = False
        self.run: str | None = None
        #: The seq of the newest frame shown, and the size shown.
        self.shown: int | None = None
        self.size = (width, height)
        #: The seq of the last clear shown while no frame followed it (a replayed clear is not shown twice).
        self._cleared: int | None = None

    def seek(self) -> None:
        """Entries will come again from a keyframe (a seek): forget the screen, remember what was shown."""
        self.screen, self._blank = None, False

    def apply(self, message: dict[str, Any]) -> Event | None:
        """What ``message`` (checked by :func:`entries.decode`) means for the edge; None for nothing."""
        kind, run = message["type"], message["run"]
        if run != self.run:
            if kind == "delta":
                return self._lost(f"a delta of producer run {run} before any of its keyframes")
            # A new producer run: its numbering starts afresh, whatever was shown before.
            self.run, self.shown, self._cleared = run, None, None
            self.seek()
        if kind == "frame":
            return self._show(entries.frame_of(message))
        if kind == "delta":
            screen = self.screen
            if screen is None:
                if self._blank or self.shown is None:
                    return None  # joined between a clear (or nothing) and the next keyframe: wait for it
                return self._lost(f"delta {message['seq']} without its base {message['base']}")
            if message["base"] != screen.seq or (message["width"], message["height"]) != (screen.width, screen.height):
                return self._lost(f"delta {message['seq']} applies to frame {message['base']}, not {screen.seq}")
            rows = list(screen.rows)
            for index, line in message["rows"]:
                rows[index] = line
            return self._show(
                Frame(tuple(rows), screen.width, screen.height, message["seq"], float(message["ts"]), message.get("cursor"))
            )
        if kind == "clear":
            self.screen, self._blank = None, True
            seq = message["seq"]
            if (self.shown is not None and seq < self.shown) or seq == self._cleared:
                return None  # replayed after a seek: from before what was shown, or shown already
            self._cleared = seq
            return Clear()
        return End(message["reason"])

    def _show(self, frame: Frame) -> Show | None:
        self.screen, self._blank = frame, False
        if self.shown is not None and frame.seq <= self.shown:
            return None  # replayed after a seek: already shown
        self.shown, self._cleared = frame.seq, None
        resized = (frame.width, frame.height) != self.size
        self.size = (frame.width, frame.height)
        return Show(frame, resized)

    def _lost(self, why: str) -> Lost:
        self.seek()
        return Lost(why)
