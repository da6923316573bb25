"""Client->server messages: checking them and limiting their rate (sans-I/O).

Every rejected message becomes a :class:`Rejected` with an error ``code`` the
wire protocol documents; the hub turns it into an ``error`` reply and keeps the
connection up.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from glyphcast import Codec, CodecError

#: Messages any client may send.
VIEWER_TYPES = frozenset({"hello", "ping", "state_request", "resync"})
#: Messages only a controller may send.
CONTROLLER_TYPES = frozenset({"resize", "command", "input"})
KNOWN_TYPES = VIEWER_TYPES | CONTROLLER_TYPES

#: Bounds of a ``resize`` (cells).
MAX_WIDTH = 1000
MAX_HEIGHT = 1000

# Error codes (the ``code`` of an ``error`` reply).
BAD_MESSAGE = "bad_message"
UNKNOWN_TYPE = "unknown_type"
BAD_FIELD = "bad_field"
OUT_OF_RANGE = "out_of_range"
FORBIDDEN = "forbidden"
RATE_LIMITED = "rate_limited"


class Rejected(ValueError):
    """A client message the hub refuses; ``code`` and ``message`` go into the ``error`` reply."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_error(self) -> dict[str, Any]:
        return {"type": "error", "code": self.code, "message": self.message}


def decode(data: str | bytes, codec: Codec) -> Any:
    """Text frames are JSON for every codec; binary frames go to the codec (msgpack for binary codecs)."""
    if isinstance(data, str):
        try:
            return json.loads(data)
        except ValueError as error:
            raise Rejected(BAD_MESSAGE, f"not valid JSON: {error}") from None
    try:
        return codec.decode(data)
    except CodecError as error:
        raise Rejected(BAD_MESSAGE, f"not a valid {codec.subprotocol} message: {error}") from None
    except ValueError as error:  # a codec that raises plain ValueError (e.g. JSON/msgpack errors)
        raise Rejected(BAD_MESSAGE, f"not a valid {codec.subprotocol} message: {error}") from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check(message: Any, role: str) -> dict[str, Any]:
    """Return ``message`` if a client with ``role`` may send it as it is; raise :class:`Rejected`."""
    if not isinstance(message, dict):
        raise Rejected(BAD_MESSAGE, 'a message must be an object with a "type" field')
    kind = message.get("type")
    if not isinstance(kind, str):
        raise Rejected(BAD_MESSAGE, 'a message must have a string "type" field')
    if kind not in KNOWN_TYPES:
        raise Rejected(UNKNOWN_TYPE, f"unknown message type {kind!r}; known: {', '.join(sorted(KNOWN_TYPES))}")
    if kind in CONTROLLER_TYPES and role != "controller":
        raise Rejected(FORBIDDEN, f"{kind!r} needs the controller role; this connection is a {role}")
    if kind == "hello":
        if "client" in message and not isinstance(message["client"], str):
            raise Rejected(BAD_FIELD, 'hello: "client" must be a string')
        viewport = message.get("viewport")
        if viewport is not None and not (
            isinstance(viewport, dict) and all(_is_number(viewport.get(k)) for k in ("width", "height"))
        ):
            raise Rejected(BAD_FIELD, 'hello: "viewport" must be {"width": number, "height": number}')
    elif kind == "ping":
        if not _is_number(message.get("ts")):
            raise Rejected(BAD_FIELD, 'ping: "ts" must be a number')
    elif kind == "resize":
        width, height = message.get("width"), message.get("height")
        if not (_is_int(width) and _is_int(height)):
            raise Rejected(BAD_FIELD, 'resize: "width" and "height" must be integers')
        if not (1 <= width <= MAX_WIDTH and 1 <= height <= MAX_HEIGHT):
            raise Rejected(
                OUT_OF_RANGE, f"resize: {width}x{height} is outside 1..{MAX_WIDTH} x 1..{MAX_HEIGHT}"
            )
    elif kind == "command":
        if "command" not in message:
            raise Rejected(BAD_FIELD, 'command: the "command" field is missing')
    elif kind == "input":
        if not isinstance(message.get("data"), str):
            raise Rejected(BAD_FIELD, 'input: "data" must be a string')
    return message


class TokenBucket:
    """Allow ``rate`` messages per second on average, bursts up to ``burst``."""

    def __init__(self, rate: float = 50.0, burst: float = 100.0, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._last = clock()

    def take(self) -> bool:
        """Spend one token; False if the client is over its rate."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def rejection(self) -> Rejected:
        return Rejected(RATE_LIMITED, f"too many messages: at most {self.rate:g}/s (bursts of {self.burst:g})")
