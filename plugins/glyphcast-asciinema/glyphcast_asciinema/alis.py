"""``v1.alis``: asciinema's live stream protocol (ALiS v1), as asciinema server and player speak it.

Binary WebSocket messages (https://docs.asciinema.org/manual/server/streaming/):
first the 5-byte magic string ``ALiS\\x01``, then one event per message, a type
byte and its fields; integers are unsigned LEB128, strings a LEB128 byte
length and UTF-8:

- Init ``0x01`` [last id][time][cols][rows][theme][init]: start or reset the
  screen. ``time`` is microseconds since the stream started; ``init`` is the
  terminal text that draws the current screen (glyphcast's current frame).
- Output ``o`` [id][rel time][text], Resize ``r`` [id][rel time][cols][rows],
  Marker ``m`` [id][rel time][label]: ``rel time`` is microseconds since the
  previous event.
- EOT ``0x04`` [rel time]: the stream ended.

How glyphcast maps onto it: ``hello`` (every session's first message) is the
magic string; a keyframe (a session's first frame, or after a clear) is an Init
at the frame's time since the stream started; an update from the frame the
session has to the newest is one Output of the rows that differ, timed from
that frame; a resize is a Resize then an Output that repaints; ``clear`` is an
Output that blanks the screen; ``end`` is EOT. Ids are frame seqs. Every other
glyphcast message has no ALiS form and is not sent. Sans-I/O.
"""

from __future__ import annotations

from typing import Any, Final

from glyphcast import CodecError, Frame
from glyphcast.codec import Encoded
from glyphcast.paint import CLEAR_SCREEN

from glyphcast_asciinema import screen
from glyphcast_asciinema.timeline import Timeline

ALIS_SUBPROTOCOL: Final = "v1.alis"
#: The first message of every ALiS stream.
MAGIC: Final = b"ALiS\x01"
INIT: Final = 0x01
OUTPUT: Final = 0x6F  # "o"
RESIZE: Final = 0x72  # "r"
MARKER: Final = 0x6D  # "m"
EOT: Final = 0x04
#: Theme format byte: no theme (the player keeps its own).
NO_THEME: Final = 0x00


def leb128(value: int) -> bytes:
    """``value`` (>= 0) as unsigned LEB128: 7 bits per byte, low first, high bit = more follows."""
    if value < 0:
        raise ValueError(f"LEB128 here is unsigned, not {value}")
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def string(text: str) -> bytes:
    """An ALiS string: byte length (LEB128), then UTF-8."""
    data = text.encode("utf-8")
    return leb128(len(data)) + data


def init(last_id: int, time: int, cols: int, rows: int, text: str) -> bytes:
    """Init: the screen is ``cols`` x ``rows``, ``time`` µs into the stream, drawn by ``text``."""
    return (
        bytes((INIT,))
        + leb128(last_id)
        + leb128(time)
        + leb128(cols)
        + leb128(rows)
        + bytes((NO_THEME,))
        + string(text)
    )


def output(event_id: int, rel_time: int, text: str) -> bytes:
    """Output: terminal text, ``rel_time`` µs after the previous event."""
    return bytes((OUTPUT,)) + leb128(event_id) + leb128(rel_time) + string(text)


def resize(event_id: int, rel_time: int, cols: int, rows: int) -> bytes:
    """Resize: the screen is now ``cols`` x ``rows``."""
    return bytes((RESIZE,)) + leb128(event_id) + leb128(rel_time) + leb128(cols) + leb128(rows)


def marker(event_id: int, rel_time: int, label: str) -> bytes:
    """Marker: a labelled point of the stream."""
    return bytes((MARKER,)) + leb128(event_id) + leb128(rel_time) + string(label)


def eot(rel_time: int = 0) -> bytes:
    """EOT: the stream ended (asciinema-player then says so and does not reconnect)."""
    return bytes((EOT,)) + leb128(rel_time)


class AlisCodec:
    """glyphcast frames as ALiS v1 events; ``timeline`` is where time 0 is (default: now)."""

    subprotocol = ALIS_SUBPROTOCOL
    deltas = True
    #: A resize is a Resize event (timed from the session's frame), not a new Init.
    resize_deltas = True
    #: asciinema-player sends nothing: nobody controls a stream through ALiS.
    one_way = True

    def __init__(self, timeline: Timeline | None = None) -> None:
        self.timeline = timeline or Timeline()

    def encode(self, message: dict[str, Any]) -> Encoded | None:
        """``hello`` -> the magic string, ``clear`` -> an Output that blanks, ``end`` -> EOT; nothing else."""
        kind = message.get("type")
        if kind == "hello":
            return MAGIC
        if kind == "clear":  # placed at the previous event's time: the same bytes for every session
            return output(message["seq"], 0, CLEAR_SCREEN)
        if kind == "end":
            return eot()
        return None

    def encode_frame(self, frame: Frame) -> bytes:
        """An Init with the whole frame, at its time since the stream started."""
        return init(
            frame.seq, self.timeline.since_start(frame.ts), frame.width, frame.height, screen.full(frame)
        )

    def encode_delta(self, frame: Frame, base: Frame) -> Encoded:
        """One Output with the rows that differ from ``base``; across a resize, a Resize and a repaint."""
        rel_time = self.timeline.between(base.ts, frame.ts)
        if frame.same_shape(base):
            return output(frame.seq, rel_time, screen.changes(frame, base))
        return [
            resize(frame.seq, rel_time, frame.width, frame.height),
            output(frame.seq, 0, screen.full(frame)),
        ]

    def decode(self, data: bytes) -> Any:
        """ALiS runs one way: asciinema-player sends nothing, so any binary message is refused."""
        raise CodecError(
            f"{ALIS_SUBPROTOCOL} carries no client messages (send JSON text, e.g. a ping, if anything)"
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.subprotocol}>"
