"""The entries of a glyphcast stream in Redis: one map per entry, sans-I/O.

An entry is one of glyphcast's own wire messages (:mod:`glyphcast.protocol`),
so a stream in Redis reads like a diff-codec session, or the producer's heartbeat:

- ``frame`` {seq, ts, width, height, lines, cursor?}: a keyframe; a reader can start here.
- ``delta`` {seq, base, ts, width, height, rows, cursor?}: valid only on frame ``base``.
- ``clear`` {seq}: the screen was blanked after frame ``seq``; a reader can start here too.
- ``end`` {seq, reason}: the source ended; nothing follows in this run.
- ``heartbeat`` {seq}: the producer is running and has shown nothing new since frame ``seq``;
  written after :data:`HEARTBEAT_INTERVAL` without another entry, so an edge can tell an idle
  producer from one that is gone.

Each also carries ``run``: a random id per producer start, so a reader can tell
a restarted producer (whose seq starts again at 1) from a gap. The map is
packed with msgpack into the entry's one field, ``m``; a size change is a
keyframe of the new size. Nothing here touches a socket.

Whoever may write to the stream controls what every edge shows, so a reader
checks each entry as the hub checks a client's message (:func:`decode`): at
most :data:`MAX_ENTRY_BYTES`, sizes up to :data:`glyphcast.protocol.MAX_SIDE`,
seqs a browser can count exactly, and rows that reach displays as text and
SGR only, cut to :func:`glyphcast.text.max_row_chars` (:func:`glyphcast.text.clean_row`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import msgpack
from glyphcast import Frame, GlyphcastError, protocol
from glyphcast.protocol import MAX_LABEL, MAX_SIDE
from glyphcast.text import clean_row, clean_text

#: The entry's only field.
FIELD: Final = b"m"
#: What ``redis:stream=NAME`` is called in Redis.
KEY_PREFIX: Final = "glyphcast:"
#: The largest entry a reader unpacks, in bytes (a keyframe of 200x60 with a colour per cell is
#: about 0.5 MB). Larger ones are skipped as not glyphcast's.
MAX_ENTRY_BYTES: Final = 16 * 1024 * 1024
#: The largest seq (and base): the largest integer a browser's numbers hold exactly (2**53 - 1).
MAX_SEQ: Final = 2**53 - 1
#: A producer's run id is 16 hex digits; a reader takes up to this many characters.
MAX_RUN: Final = 64

KINDS: Final = frozenset({"frame", "delta", "clear", "end", "heartbeat"})
#: Seconds without an entry after which a producer writes a ``heartbeat``.
HEARTBEAT_INTERVAL: Final = 1.0


class EntryError(GlyphcastError, ValueError):
    """An entry in the stream is not one glyphcast wrote (or is damaged); readers skip it."""


def key(stream: str) -> str:
    """The Redis key that holds stream ``stream``."""
    return KEY_PREFIX + stream


def keyframe(frame: Frame, run: str) -> dict[str, Any]:
    return {**protocol.frame_message(frame), "run": run}


def delta(frame: Frame, base: Frame, run: str) -> dict[str, Any]:
    return {**protocol.delta_message(frame.delta(base)), "run": run}


def clear(seq: int, run: str) -> dict[str, Any]:
    return {**protocol.clear(seq), "run": run}


def end(seq: int, reason: str, run: str) -> dict[str, Any]:
    return {**protocol.end(seq, reason), "run": run}


def heartbeat(seq: int, run: str) -> dict[str, Any]:
    """The producer is running, idle since frame ``seq``: a few bytes, no rows."""
    return {"type": "heartbeat", "seq": seq, "run": run}


def encode(message: Mapping[str, Any]) -> dict[bytes, bytes]:
    """The fields of the Redis entry carrying ``message``."""
    return {FIELD: msgpack.packb(message, use_bin_type=True)}


def decode(fields: Mapping[Any, Any]) -> dict[str, Any]:
    """The message in an entry's fields, checked; :class:`EntryError` (one line) if it is not one of ours.

    Rows come back cleaned (text and SGR, bounded), an ``end``'s reason as
    plain text, a cursor inside the frame.
    """
    raw = fields.get(FIELD, fields.get(FIELD.decode()))
    if not isinstance(raw, bytes | bytearray):
        raise EntryError(f"no {FIELD.decode()!r} field (fields: {sorted(map(str, fields))[:5]!r:.120})")
    if len(raw) > MAX_ENTRY_BYTES:
        raise EntryError(f"{len(raw)} bytes, over the {MAX_ENTRY_BYTES} an entry may have")
    try:
        message = msgpack.unpackb(raw, raw=False, strict_map_key=True, use_list=True)
    except (ValueError, TypeError, msgpack.ExtraData) as error:  # StackError and FormatError are ValueErrors
        raise EntryError(f"not msgpack: {error!r:.120}") from None
    if not isinstance(message, dict):
        raise EntryError(f"not a map: {type(message).__name__}")
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in KINDS:  # a list is unhashable: `in` a set would raise
        raise EntryError(f"unknown type {kind!r:.60}")
    run = _need(message, "run", str)
    if len(run) > MAX_RUN:
        raise EntryError(f"a run id of {len(run)} characters (at most {MAX_RUN})")
    _seq(message, "seq")
    if kind == "end":
        message["reason"] = clean_text(_need(message, "reason", str), MAX_LABEL)
        return message
    if kind in ("clear", "heartbeat"):
        return message
    ts = _need(message, "ts", int | float)
    if not math.isfinite(ts):
        raise EntryError("ts is not finite")
    width, height = _need(message, "width", int), _need(message, "height", int)
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise EntryError(f"size {width}x{height} out of range (1..{MAX_SIDE} a side)")
    cursor = message.get("cursor")
    if cursor is not None:
        if not (isinstance(cursor, list) and len(cursor) == 2 and all(type(c) is int for c in cursor)):
            raise EntryError(f"bad cursor {cursor!r:.60}")
        # Inside the frame, as a terminal's cursor is: a viewer draws it at that cell.
        message["cursor"] = (min(max(cursor[0], 0), width - 1), min(max(cursor[1], 0), height - 1))
    if kind == "frame":
        lines = _need(message, "lines", list)
        if len(lines) != height or not all(isinstance(line, str) for line in lines):
            raise EntryError(f"a keyframe needs {height} lines of text")
        message["lines"] = [clean_row(line, width) for line in lines]
        return message
    _seq(message, "base")
    rows = _need(message, "rows", list)
    if len(rows) > height:
        raise EntryError(f"a delta of {len(rows)} rows on a frame of {height}")
    for row in rows:
        if not (
            isinstance(row, list)
            and len(row) == 2
            and type(row[0]) is int
            and 0 <= row[0] < height
            and isinstance(row[1], str)
        ):
            raise EntryError(f"bad delta row {row!r:.60}")
        row[1] = clean_row(row[1], width)
    return message


def _seq(message: dict[str, Any], name: str) -> None:
    value = _need(message, name, int)
    if not 0 <= value <= MAX_SEQ:
        raise EntryError(f"{message.get('type')}: {name} {value} out of range (0..2**53-1)")


def _need(message: dict[str, Any], name: str, kind: Any) -> Any:
    value = message.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise EntryError(f"{message.get('type')}: field {name!r} missing or of the wrong type")
    return value


def frame_of(message: Mapping[str, Any]) -> Frame:
    """The frame a checked ``frame`` message carries."""
    return Frame(
        tuple(message["lines"]),
        message["width"],
        message["height"],
        message["seq"],
        float(message["ts"]),
        message.get("cursor"),
    )
