"""``v2.asciicast`` and ``v3.asciicast``: the asciicast file formats, one line per text message.

asciinema-player reads them live as it reads recordings
(https://docs.asciinema.org/manual/asciicast/v2/ and v3): the first message
is the header (a JSON object with the terminal size), every later one an event
``[time, code, data]``. v2's ``time`` is seconds since the stream started; v3's
is the interval since the previous event. Codes used here: ``o`` output (terminal
text), ``r`` resize (``"COLSxROWS"``).

How glyphcast maps onto them: ``hello`` (every session's first message) is the
header, with the stream's size; a keyframe (a session's first frame, or after a
clear) is an ``r`` with the frame's size and an ``o`` that draws the whole
frame; an update from the frame the session has to the newest is one ``o`` of
the rows that differ; a resize is an ``r`` and an ``o`` that repaints. Every
other glyphcast message has no asciicast form and is not sent: the stream ends
with the close (1000), which the player takes as the end.

Times, encoded once for every session at the same point (see :mod:`.timeline`):
v2 carries each frame's time since the stream started, exact for everyone. v3
carries an update's interval from exactly the frame the session had; a keyframe
carries the frame's time since the start (a joiner's clock then reads stream
time; after a clear the clock jumps ahead instead, which playback ignores).
A ``clear`` is a v3 ``o`` that blanks the screen at the previous event's time;
v2 has no time for it (it would need the session's), so v2 sends nothing and the
keyframe after it, which clears first, blanks the screen then. Sans-I/O.
"""

from __future__ import annotations

import json
from typing import Any, Final

from glyphcast import CodecError, Frame
from glyphcast.codec import Encoded
from glyphcast.paint import CLEAR_SCREEN

from glyphcast_asciinema import screen
from glyphcast_asciinema.timeline import Timeline

ASCIICAST_V2_SUBPROTOCOL: Final = "v2.asciicast"
ASCIICAST_V3_SUBPROTOCOL: Final = "v3.asciicast"

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def event(time_us: int, code: str, data: str) -> str:
    """One event line (no newline: a WebSocket message is one line), its time in seconds."""
    return _dumps([Timeline.seconds(time_us), code, data])


def size(frame: Frame) -> str:
    """An ``r`` event's data."""
    return f"{frame.width}x{frame.height}"


class _AsciicastCodec:
    """What v2 and v3 share: a header on hello, text messages, nothing from clients."""

    subprotocol: str
    version: int
    deltas = True
    #: A resize is an ``r`` event plus a repaint, not a keyframe.
    resize_deltas = True
    #: asciinema-player sends nothing: nobody controls a stream through asciicast.
    one_way = True

    def __init__(self, timeline: Timeline | None = None) -> None:
        self.timeline = timeline or Timeline()

    def header(self, width: int, height: int) -> dict[str, Any]:
        raise NotImplementedError

    def encode(self, message: dict[str, Any]) -> Encoded | None:
        """``hello`` -> the header; ``clear`` per version; nothing for any other message."""
        kind = message.get("type")
        if kind == "hello":
            header = self.header(message["width"], message["height"])
            header["timestamp"] = int(self.timeline.origin_ms // 1000)
            return _dumps(header)
        if kind == "clear":
            return self.clear()
        return None

    def clear(self) -> str | None:
        return None

    def decode(self, data: bytes) -> Any:
        """The stream runs one way: asciinema-player sends nothing, so any binary message is refused."""
        raise CodecError(
            f"{self.subprotocol} carries no client messages (send JSON text, e.g. a ping, if anything)"
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.subprotocol}>"


class AsciicastV2Codec(_AsciicastCodec):
    """asciicast v2 lines: times in seconds since the stream started."""

    subprotocol = ASCIICAST_V2_SUBPROTOCOL
    version = 2

    def header(self, width: int, height: int) -> dict[str, Any]:
        return {"version": 2, "width": width, "height": height}

    def encode_frame(self, frame: Frame) -> Encoded:
        """The frame's size, then the whole frame, at its time since the start."""
        time = self.timeline.since_start(frame.ts)
        return [event(time, "r", size(frame)), event(time, "o", screen.full(frame))]

    def encode_delta(self, frame: Frame, base: Frame) -> Encoded:
        """The rows that differ from ``base``; across a resize, the new size and a repaint."""
        time = self.timeline.since_start(frame.ts)
        if frame.same_shape(base):
            return event(time, "o", screen.changes(frame, base))
        return self.encode_frame(frame)


class AsciicastV3Codec(_AsciicastCodec):
    """asciicast v3 lines: each event's interval since the previous one."""

    subprotocol = ASCIICAST_V3_SUBPROTOCOL
    version = 3

    def header(self, width: int, height: int) -> dict[str, Any]:
        return {"version": 3, "term": {"cols": width, "rows": height}}

    def clear(self) -> str:
        return event(0, "o", CLEAR_SCREEN)

    def encode_frame(self, frame: Frame) -> Encoded:
        """The frame's size at its time since the start, then the whole frame."""
        return [
            event(self.timeline.since_start(frame.ts), "r", size(frame)),
            event(0, "o", screen.full(frame)),
        ]

    def encode_delta(self, frame: Frame, base: Frame) -> Encoded:
        """The rows that differ from ``base``, after the time since ``base``; across a resize, the new
        size and a repaint."""
        interval = self.timeline.between(base.ts, frame.ts)
        if frame.same_shape(base):
            return event(interval, "o", screen.changes(frame, base))
        return [event(interval, "r", size(frame)), event(0, "o", screen.full(frame))]
