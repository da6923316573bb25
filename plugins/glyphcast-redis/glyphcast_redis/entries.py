"""The entries of a glyphcast stream in Redis: one map per entry, sans-I/O.

An entry is one of glyphcast's own wire messages (:mod:`glyphcast.protocol`),
so a stream in Redis reads like a diff-codec session:

- ``frame`` {seq, ts, width, height, lines, cursor?}: a keyframe; a reader can start here.
- ``delta`` {seq, base, ts, width, height, rows, cursor?}: valid only on frame ``base``.
- ``clear`` {seq}: the screen was blanked after frame ``seq``; a reader can start here too.
- ``end`` {seq, reason}: the source ended; nothing follows in this run.

Each also carries ``run``: a random id per producer start, so a reader can tell
a restarted producer (whose seq starts again at 1) from a gap. The map is
packed with msgpack into the entry's one field, ``m``; a size change is a
keyframe of the new size. Nothing here touches a socket.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import msgpack
from glyphcast import Frame, GlyphcastError, protocol

#: The entry's only field.
FIELD: Final = b"m"
#: What ``redis:stream=NAME`` is called in Redis.
KEY_PREFIX: Final = "glyphcast:"
#: The largest side of a frame a reader accepts (a guard against a foreign writer's garbage).
MAX_SIDE: Final = 10_000

KINDS: Final = frozenset({"frame", "delta", "clear", "end"})


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


def encode(message: Mapping[str, Any]) -> dict[bytes, bytes]:
    """The fields of the Redis entry carrying ``message``."""
    return {FIELD: msgpack.packb(message, use_bin_type=True)}


def decode(fields: Mapping[Any, Any]) -> dict[str, Any]:
    """The message in an entry's fields, checked; :class:`EntryError` (one line) if it is not one of ours."""
    raw = fields.get(FIELD, fields.get(FIELD.decode()))
    if not isinstance(raw, bytes | bytearray):
        raise EntryError(f"no {FIELD.decode()!r} field (fields: {sorted(map(str, fields))[:5]})")
    try:
        message = msgpack.unpackb(raw, raw=False, strict_map_key=True, use_list=True)
    except (ValueError, TypeError, msgpack.ExtraData) as error:
        raise EntryError(f"not msgpack: {error}") from None
    if not isinstance(message, dict):
        raise EntryError(f"not a map: {type(message).__name__}")
    kind = message.get("type")
    if kind not in KINDS:
        raise EntryError(f"unknown type {kind!r}")
    _need(message, "run", str)
    _need(message, "seq", int)
    if kind == "end":
        _need(message, "reason", str)
        return message
    if kind == "clear":
        return message
    ts = _need(message, "ts", int | float)
    if not math.isfinite(ts):
        raise EntryError("ts is not finite")
    width, height = _need(message, "width", int), _need(message, "height", int)
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise EntryError(f"size {width}x{height} out of range")
    cursor = message.get("cursor")
    if cursor is not None:
        if not (isinstance(cursor, list) and len(cursor) == 2 and all(type(c) is int for c in cursor)):
            raise EntryError(f"bad cursor {cursor!r}")
        message["cursor"] = (cursor[0], cursor[1])
    if kind == "frame":
        lines = _need(message, "lines", list)
        if len(lines) != height or not all(isinstance(line, str) for line in lines):
            raise EntryError(f"a keyframe needs {height} lines of text")
        return message
    _need(message, "base", int)
    rows = _need(message, "rows", list)
    for row in rows:
        if not (
            isinstance(row, list) and len(row) == 2 and type(row[0]) is int
            and 0 <= row[0] < height and isinstance(row[1], str)
        ):
            raise EntryError(f"bad delta row {row!r:.60}")
    return message


def _need(message: dict[str, Any], name: str, kind: Any) -> Any:
    value = message.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise EntryError(f"{message.get('type')}: field {name!r} missing or of the wrong type")
    return value


def frame_of(message: Mapping[str, Any]) -> Frame:
    """The frame a checked ``frame`` message carries."""
    return Frame(tuple(message["lines"]), message["width"], message["height"], message["seq"],
                 float(message["ts"]), message.get("cursor"))
