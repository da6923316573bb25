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

What a message may hold is declared, not coded: :data:`SCHEMA` lists each
type's fields (:class:`Text`, :class:`Number`, :class:`Size`, :class:`Present`),
and one walk bounds the whole value whatever its type (:data:`MAX_DEPTH`,
:data:`MAX_STRING`, :data:`MAX_ITEMS`, finite numbers, integers within
+-2**53). :func:`decode` and :func:`check` raise nothing but :class:`Rejected`,
whatever the client sends (a property test fuzzes that).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
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

from glyphcast_websocket.quote import quote

# Bounds of every client message. The hub's limit on a client's WebSocket message
# (glyphcast.protocol.MAX_CLIENT_MESSAGE, 64 KiB) bounds the total; these bound the shapes inside it.
#: Nesting of maps and arrays; the message itself is level 1.
MAX_DEPTH = 8
#: Characters of any string or map key.
MAX_STRING = 16 * 1024
#: Entries of any one map or array.
MAX_ITEMS = 1024
#: Every JSON parser reads integers within +-2**53 exactly.
MAX_SAFE_INTEGER = 2**53
#: ``hello.client``, characters.
MAX_CLIENT_NAME = 256
#: ``hello.viewport``'s width and height, pixels.
MAX_VIEWPORT = 100_000
#: ``input.data``, characters (a paste).
MAX_INPUT = 16 * 1024

__all__ = [
    "BAD_FIELD",
    "BAD_MESSAGE",
    "CONTROLLER_TYPES",
    "FORBIDDEN",
    "KNOWN_TYPES",
    "MAX_CLIENT_NAME",
    "MAX_DEPTH",
    "MAX_INPUT",
    "MAX_ITEMS",
    "MAX_SAFE_INTEGER",
    "MAX_STRING",
    "MAX_VIEWPORT",
    "OUT_OF_RANGE",
    "RATE_LIMITED",
    "SAFE",
    "SCHEMA",
    "SIDES",
    "UNKNOWN_TYPE",
    "VIEWER_TYPES",
    "VIEWPORT",
    "Bounds",
    "Number",
    "Present",
    "Rejected",
    "Size",
    "Text",
    "check",
    "decode",
    "rate_limited",
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


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- the schema -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Bounds:
    """``low..high``, both included; ``text`` is how an error message says it (default ``low..high``)."""

    low: float
    high: float
    text: str = ""

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return self.text or f"{self.low}..{self.high}"


#: What a number anywhere in a message may be, so that echoing it is exact in every client.
SAFE = Bounds(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER, "+-2**53")
#: A stream's width or height, in cells: the one limit of a stream everywhere.
SIDES = Bounds(1, MAX_SIDE)
#: A viewer's window, in pixels.
VIEWPORT = Bounds(0, MAX_VIEWPORT)


@dataclass(frozen=True, slots=True)
class Text:
    """Field ``name`` is a string of at most ``max_length`` characters; absent is fine unless ``required``."""

    name: str
    max_length: int
    required: bool = False

    def check(self, kind: str, message: dict[str, Any]) -> None:
        if self.name not in message and not self.required:
            return
        value = message.get(self.name)
        if not isinstance(value, str):
            raise Rejected(BAD_FIELD, f'{kind}: "{self.name}" must be a string')
        if len(value) > self.max_length:
            raise Rejected(OUT_OF_RANGE, f'{kind}: "{self.name}" is longer than {self.max_length} characters')


@dataclass(frozen=True, slots=True)
class Number:
    """Field ``name`` is there and a number within ``bounds``."""

    name: str
    bounds: Bounds

    def check(self, kind: str, message: dict[str, Any]) -> None:
        value = message.get(self.name)
        if not _is_number(value):
            raise Rejected(BAD_FIELD, f'{kind}: "{self.name}" must be a number')
        if value not in self.bounds:
            raise Rejected(OUT_OF_RANGE, f'{kind}: "{self.name}" must be within {self.bounds}')


@dataclass(frozen=True, slots=True)
class Size:
    """A ``width`` and a ``height`` within ``bounds`` (integers when ``integers``).

    ``name`` None: they are fields of the message itself, and needed. Else they
    are in the map ``name``, which may be absent or null.
    """

    name: str | None
    bounds: Bounds
    integers: bool = False

    def check(self, kind: str, message: dict[str, Any]) -> None:
        size = message if self.name is None else message.get(self.name)
        if size is None:
            return
        test = _is_int if self.integers else _is_number
        if not (isinstance(size, dict) and test(size.get("width")) and test(size.get("height"))):
            raise Rejected(BAD_FIELD, f"{kind}: {self._shape()}")
        width, height = size["width"], size["height"]
        if width not in self.bounds or height not in self.bounds:
            where = "" if self.name is None else f'"{self.name}" '
            raise Rejected(
                OUT_OF_RANGE, f"{kind}: {where}{width}x{height} is outside {self.bounds} x {self.bounds}"
            )

    def _shape(self) -> str:
        what = "integer" if self.integers else "number"
        if self.name is None:
            return f'"width" and "height" must be {what}s'
        return f'"{self.name}" must be {{"width": {what}, "height": {what}}}'


@dataclass(frozen=True, slots=True)
class Present:
    """Field ``name`` is there, whatever it holds (bounded by the walk like everything else)."""

    name: str

    def check(self, kind: str, message: dict[str, Any]) -> None:
        if self.name not in message:
            raise Rejected(BAD_FIELD, f'{kind}: the "{self.name}" field is missing')


Field = Text | Number | Size | Present

#: Each client message type and its fields, checked in this order; fields not listed are allowed
#: (and bounded like the rest). Which role may send a type is :data:`glyphcast.protocol.CONTROLLER_TYPES`.
SCHEMA: Mapping[str, tuple[Field, ...]] = {
    "hello": (Text("client", MAX_CLIENT_NAME), Size("viewport", VIEWPORT)),
    "ping": (Number("ts", SAFE),),
    "state_request": (),
    "resync": (),
    "resize": (Size(None, SIDES, integers=True),),
    "command": (Present("command"),),
    "input": (Text("data", MAX_INPUT, required=True),),
}


# -- checking ---------------------------------------------------------------------------
def _walk(message: dict[str, Any]) -> None:
    """Check the whole value, iteratively (no recursion to exhaust): only JSON types, bounded.

    Maps with string keys, arrays, strings, booleans, null, finite floats and
    integers within +-2**53 (what every JSON parser reads exactly), nesting at
    most :data:`MAX_DEPTH`, strings at most :data:`MAX_STRING` characters, maps
    and arrays at most :data:`MAX_ITEMS` entries. Scalars are checked where they
    are found; only maps and arrays wait on the stack.
    """
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(message, 1)]
    while stack:
        container, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Rejected(BAD_MESSAGE, f"nested deeper than {MAX_DEPTH} levels")
        if len(container) > MAX_ITEMS:
            raise Rejected(OUT_OF_RANGE, f"a map or array has more than {MAX_ITEMS} entries")
        if isinstance(container, dict):
            for key in container:
                if not isinstance(key, str):
                    raise Rejected(BAD_MESSAGE, "map keys must be strings")
                if len(key) > MAX_STRING:
                    raise Rejected(OUT_OF_RANGE, f"a map key is longer than {MAX_STRING} characters")
            values: Any = container.values()
        else:
            values = container
        for value in values:
            if value is None or value is True or value is False:
                continue
            if isinstance(value, str):
                if len(value) > MAX_STRING:
                    raise Rejected(OUT_OF_RANGE, f"a string is longer than {MAX_STRING} characters")
            elif isinstance(value, int):
                if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                    raise Rejected(OUT_OF_RANGE, "an integer is outside +-2**53")
            elif isinstance(value, float):
                if not math.isfinite(value):
                    raise Rejected(OUT_OF_RANGE, "numbers must be finite (no NaN or Infinity)")
            elif isinstance(value, dict | list):
                stack.append((value, depth + 1))
            else:
                raise Rejected(BAD_MESSAGE, f"values must be JSON types, not {type(value).__name__}")


def check(message: Any, role: str) -> dict[str, Any]:
    """Return ``message`` if a client with ``role`` may send it as it is; raise :class:`Rejected`.

    In order: a map with a known string ``type``, the role, the walk over the
    whole value, then the type's fields (:data:`SCHEMA`). Nothing else is
    raised, whatever ``message`` is (any value a codec decodes).
    """
    if not isinstance(message, dict):
        raise Rejected(BAD_MESSAGE, 'a message must be an object with a "type" field')
    kind = message.get("type")
    if not isinstance(kind, str):
        raise Rejected(BAD_MESSAGE, 'a message must have a string "type" field')
    fields = SCHEMA.get(kind)
    if fields is None:
        raise Rejected(
            UNKNOWN_TYPE, f"unknown message type {quote(kind, 40)}; known: {', '.join(sorted(KNOWN_TYPES))}"
        )
    if kind in CONTROLLER_TYPES and role != "controller":
        raise Rejected(FORBIDDEN, f"{kind!r} needs the controller role; this connection is a {role}")
    _walk(message)
    for field in fields:
        field.check(kind, message)
    return message


def rate_limited(bucket: TokenBucket) -> Rejected:
    """The ``error`` for a message over ``bucket``'s rate (one unit per message)."""
    return Rejected(
        RATE_LIMITED, f"too many messages: at most {bucket.rate:g}/s (bursts of {bucket.burst:g})"
    )
