"""Client->server messages: checking them and limiting their rate (sans-I/O).

Every rejected message becomes a :class:`Rejected` with an error ``code`` the
wire protocol documents; the hub turns it into an ``error`` reply and keeps the
connection up. For the hub, per received WebSocket message::

    try:
        if not bucket.take():
            raise messages.rate_limited(bucket)
        message = messages.check(messages.decode(data, codec), role)
    except messages.Rejected as rejected:
        reply = rejected.as_error()   # log at DEBUG, or a ratelog summary

:func:`decode` and :func:`check` raise nothing but :class:`Rejected`, whatever
the client sends (a property test fuzzes that).
"""

from __future__ import annotations

import math
from typing import Any, TypeGuard

from glyphcast import Codec, CodecError, protocol
from glyphcast.protocol import (
    BAD_FIELD,
    BAD_MESSAGE,
    CONTROLLER_TYPES,
    FORBIDDEN,
    MAX_SIDE,
    OUT_OF_RANGE,
    RATE_LIMITED,
    UNKNOWN_TYPE,
    VIEWER_TYPES,
)
from glyphcast.protocol import CLIENT_TYPES as KNOWN_TYPES
from glyphcast.ratelimit import TokenBucket

#: Bounds of every client message (decision 7). The hub's frame size limit
#: (64 KiB) bounds the total; these bound the shapes inside it.
MAX_DEPTH = 8  # the message itself is level 1
MAX_STRING = 16 * 1024  # characters, any string or map key
MAX_ITEMS = 1024  # entries of any one map or array
MAX_SAFE_INTEGER = 2**53  # every JSON parser reads integers within +-2**53 exactly
MAX_CLIENT_NAME = 256  # hello.client
MAX_VIEWPORT = 100_000  # hello.viewport width/height (pixels)
MAX_INPUT = 16 * 1024  # input.data characters (a paste)

__all__ = [
    "BAD_FIELD", "BAD_MESSAGE", "CONTROLLER_TYPES", "FORBIDDEN", "KNOWN_TYPES", "OUT_OF_RANGE",
    "RATE_LIMITED", "UNKNOWN_TYPE", "VIEWER_TYPES", "Rejected", "check", "decode", "rate_limited",
]


class Rejected(ValueError):
    """A client message the hub refuses; ``code`` and ``message`` go into the ``error`` reply."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_error(self) -> dict[str, Any]:
        return protocol.error(self.code, self.message)


def decode(data: str | bytes, codec: Codec) -> Any:
    """Text frames are JSON for every codec; binary frames go to the codec (msgpack for binary codecs).

    Whatever the bytes, this returns a value or raises :class:`Rejected`:
    deep nesting (RecursionError), unhashable msgpack keys (TypeError), huge
    numbers (OverflowError, ValueError) and a codec's own errors all become
    ``bad_message``. The value is not checked yet: pass it to :func:`check`.
    """
    if isinstance(data, str):
        try:
            return protocol.decode_json(data)
        except CodecError as error:
            raise Rejected(BAD_MESSAGE, f"not valid JSON: {_describe(error)}") from None
    try:
        return codec.decode(data)
    except (CodecError, ValueError, RecursionError, TypeError, OverflowError) as error:
        raise Rejected(BAD_MESSAGE, f"not a valid {codec.subprotocol} message: {_describe(error)}") from None


def _describe(error: BaseException) -> str:
    """An exception as one short line for an ``error`` reply (never a traceback, never unbounded)."""
    if isinstance(error, RecursionError):
        return f"nested deeper than {MAX_DEPTH} levels"
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text if len(text) <= 120 else text[:120] + "..."


def _show(value: Any) -> str:
    """A client-supplied value quoted in an error message: repr, truncated."""
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _walk(message: Any) -> None:
    """Check the whole value, iteratively (no recursion to exhaust): only JSON types, bounded.

    Maps with string keys, arrays, strings, booleans, null, finite floats and
    integers within +-2**53 (what every JSON parser reads exactly), nesting at
    most :data:`MAX_DEPTH`, strings at most :data:`MAX_STRING` characters, maps
    and arrays at most :data:`MAX_ITEMS` entries. Unknown fields are allowed
    but bounded the same way.
    """
    stack: list[tuple[Any, int]] = [(message, 1)]
    while stack:
        value, depth = stack.pop()
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise Rejected(OUT_OF_RANGE, f"a string is longer than {MAX_STRING} characters")
            continue
        if isinstance(value, int):
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                raise Rejected(OUT_OF_RANGE, "an integer is outside +-2**53")
            continue
        if isinstance(value, float):
            if not math.isfinite(value):
                raise Rejected(OUT_OF_RANGE, "numbers must be finite (no NaN or Infinity)")
            continue
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise Rejected(BAD_MESSAGE, f"nested deeper than {MAX_DEPTH} levels")
            if len(value) > MAX_ITEMS:
                raise Rejected(OUT_OF_RANGE, f"a map or array has more than {MAX_ITEMS} entries")
            if isinstance(value, dict):
                for key, item in value.items():
                    if not isinstance(key, str):
                        raise Rejected(BAD_MESSAGE, "map keys must be strings")
                    if len(key) > MAX_STRING:
                        raise Rejected(OUT_OF_RANGE, f"a map key is longer than {MAX_STRING} characters")
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)
            continue
        raise Rejected(BAD_MESSAGE, f"values must be JSON types, not {type(value).__name__}")


def check(message: Any, role: str) -> dict[str, Any]:
    """Return ``message`` if a client with ``role`` may send it as it is; raise :class:`Rejected`.

    Nothing else is raised, whatever ``message`` is (any value a codec decodes).
    Unknown fields are ignored (left in place, bounded like the rest).
    """
    if not isinstance(message, dict):
        raise Rejected(BAD_MESSAGE, 'a message must be an object with a "type" field')
    kind = message.get("type")
    if not isinstance(kind, str):
        raise Rejected(BAD_MESSAGE, 'a message must have a string "type" field')
    if kind not in KNOWN_TYPES:
        raise Rejected(
            UNKNOWN_TYPE, f"unknown message type {_show(kind)}; known: {', '.join(sorted(KNOWN_TYPES))}"
        )
    if kind in CONTROLLER_TYPES and role != "controller":
        raise Rejected(FORBIDDEN, f"{kind!r} needs the controller role; this connection is a {role}")
    _walk(message)
    if kind == "hello":
        client = message.get("client")
        if "client" in message and not isinstance(client, str):
            raise Rejected(BAD_FIELD, 'hello: "client" must be a string')
        if isinstance(client, str) and len(client) > MAX_CLIENT_NAME:
            raise Rejected(OUT_OF_RANGE, f'hello: "client" is longer than {MAX_CLIENT_NAME} characters')
        viewport = message.get("viewport")
        if viewport is not None and not (
            isinstance(viewport, dict) and all(_is_number(viewport.get(k)) for k in ("width", "height"))
        ):
            raise Rejected(BAD_FIELD, 'hello: "viewport" must be {"width": number, "height": number}')
        if viewport is not None and not all(0 <= viewport[k] <= MAX_VIEWPORT for k in ("width", "height")):
            raise Rejected(OUT_OF_RANGE, f'hello: "viewport" sizes must be within 0..{MAX_VIEWPORT}')
    elif kind == "ping":
        if not _is_number(message.get("ts")):
            raise Rejected(BAD_FIELD, 'ping: "ts" must be a number')
        # _walk made it finite and within +-2**53 for ints; floats get the same bound,
        # so the pong echoing it is exact, valid JSON for every client
        if not -MAX_SAFE_INTEGER <= message["ts"] <= MAX_SAFE_INTEGER:
            raise Rejected(OUT_OF_RANGE, 'ping: "ts" must be within +-2**53')
    elif kind == "resize":
        width, height = message.get("width"), message.get("height")
        if not (_is_int(width) and _is_int(height)):
            raise Rejected(BAD_FIELD, 'resize: "width" and "height" must be integers')
        if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):  # a stream's limit everywhere
            raise Rejected(
                OUT_OF_RANGE, f"resize: {width}x{height} is outside 1..{MAX_SIDE} x 1..{MAX_SIDE}"
            )
    elif kind == "command":
        if "command" not in message:
            raise Rejected(BAD_FIELD, 'command: the "command" field is missing')
    elif kind == "input":
        data = message.get("data")
        if not isinstance(data, str):
            raise Rejected(BAD_FIELD, 'input: "data" must be a string')
        if len(data) > MAX_INPUT:
            raise Rejected(OUT_OF_RANGE, f'input: "data" is longer than {MAX_INPUT} characters')
    return message


def rate_limited(bucket: TokenBucket) -> Rejected:
    """The ``error`` for a message over ``bucket``'s rate (one unit per message)."""
    return Rejected(RATE_LIMITED, f"too many messages: at most {bucket.rate:g}/s (bursts of {bucket.burst:g})")
