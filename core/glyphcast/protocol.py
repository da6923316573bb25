"""The glyphcast WebSocket wire protocol, v1 and its v1.1 and v1.2 additions, in one place.

Sans-I/O: names, numbers and plain functions, no sockets and no event loop.
Everything a server or a client must agree on lives here: the protocol version,
the subprotocol (codec) names, the message types each side may send, the close
and error codes, one builder per server->client message, the decoding of
client JSON, and the token carried in ``Sec-WebSocket-Protocol``.

Messages are plain maps (``dict``) with a ``type``; a codec only turns a map
into bytes or text (see :mod:`glyphcast.codec`). ``docs/protocol.md`` is the
prose version of this module, and the viewer's ``client/src/protocol.js``
mirrors its constants (a test keeps the two equal).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterable
from typing import Any, Final, Literal

from glyphcast.codec import CodecError
from glyphcast.frame import Delta, Frame

#: The ``protocol`` field of ``hello``. v1.1 and v1.2 only add message types
#: and fields, which v1 clients ignore, so it stays 1.
PROTOCOL_VERSION: Final = 1

# --- subprotocols (codecs) -------------------------------------------------

#: JSON objects in text frames, full frames only.
JSON_SUBPROTOCOL: Final = "glyphcast.json.v1"
#: msgpack maps in binary frames, full frames only.
BINARY_SUBPROTOCOL: Final = "glyphcast.binary.v1"
#: msgpack maps in binary frames, keyframes plus deltas.
DIFF_SUBPROTOCOL: Final = "glyphcast.diff.v1"
#: The codecs glyphcast ships, keyed by the short name the viewer's ``?codec=`` takes.
SUBPROTOCOLS: Final = {"json": JSON_SUBPROTOCOL, "binary": BINARY_SUBPROTOCOL, "diff": DIFF_SUBPROTOCOL}
#: The codec of a client that offers no subprotocol (legacy clients).
DEFAULT_SUBPROTOCOL: Final = JSON_SUBPROTOCOL

#: A browser cannot set ``Authorization`` on a WebSocket, so the viewer offers its
#: token as one extra subprotocol, ``glyphcast.token.<base64url(token), no padding>``,
#: after its codecs. The server reads it and never selects it.
TOKEN_SUBPROTOCOL_PREFIX: Final = "glyphcast.token."

# --- message types ---------------------------------------------------------

#: Client -> server messages any client may send.
VIEWER_TYPES: Final = frozenset({"hello", "ping", "state_request", "resync"})
#: Client -> server messages only a controller may send.
CONTROLLER_TYPES: Final = frozenset({"resize", "command", "input"})
#: Every client -> server message type; anything else gets ``error`` ``unknown_type``.
CLIENT_TYPES: Final = VIEWER_TYPES | CONTROLLER_TYPES
#: Server -> client message types of v1.
SERVER_TYPES_V1: Final = frozenset({"hello", "frame", "delta", "clear", "state", "pong", "error"})
#: Every server -> client message type: v1 plus v1.1's ``end`` and ``presence`` and v1.2's ``producer``.
SERVER_TYPES: Final = SERVER_TYPES_V1 | {"end", "presence", "producer"}

# --- the producer's state (v1.2) -------------------------------------------

#: What ``producer`` {state} says: whether the stream's producer is being heard from.
ProducerState = Literal["live", "stalled", "reconnecting"]
#: Heard from: frames (or, while idle, its heartbeat) arrive. What a client assumes until told otherwise.
PRODUCER_LIVE: Final = "live"
#: Not heard from for a while (a Redis edge whose producer went silent or stopped); the last screen stays up.
PRODUCER_STALLED: Final = "stalled"
#: The server cannot reach what carries the producer's stream (an edge whose Redis is unreachable).
PRODUCER_RECONNECTING: Final = "reconnecting"
#: Every state ``producer`` may say.
PRODUCER_STATES: Final = frozenset({PRODUCER_LIVE, PRODUCER_STALLED, PRODUCER_RECONNECTING})

# --- close codes -----------------------------------------------------------

#: The stream ended (sent after ``end``): do not reconnect.
CLOSE_NORMAL: Final = 1000
#: The server is going away (restart, shutdown): reconnect with backoff.
CLOSE_GOING_AWAY: Final = 1001
#: Policy: the client left too many replies unread; do not retry as is. (Bad tokens and origins
#: are refused before the upgrade, with HTTP 403, never with a close.)
CLOSE_POLICY: Final = 1008
#: A client message over :data:`MAX_CLIENT_MESSAGE` bytes.
CLOSE_TOO_BIG: Final = 1009
#: The server failed while serving this connection: reconnect.
CLOSE_INTERNAL: Final = 1011
#: The server is full (``max_clients``): try again later.
CLOSE_TRY_AGAIN_LATER: Final = 1013
#: Every close code above, by the name the viewer's ``CLOSE`` uses.
CLOSE_CODES: Final = {
    "NORMAL": CLOSE_NORMAL,
    "GOING_AWAY": CLOSE_GOING_AWAY,
    "POLICY": CLOSE_POLICY,
    "TOO_BIG": CLOSE_TOO_BIG,
    "INTERNAL": CLOSE_INTERNAL,
    "TRY_AGAIN_LATER": CLOSE_TRY_AGAIN_LATER,
}

# --- error codes (the ``code`` of an ``error`` reply) ----------------------

#: Not JSON/msgpack, not a map, or no string ``type``.
BAD_MESSAGE: Final = "bad_message"
#: ``type`` is not in :data:`CLIENT_TYPES`.
UNKNOWN_TYPE: Final = "unknown_type"
#: A field is missing or has the wrong type.
BAD_FIELD: Final = "bad_field"
#: A number outside its documented range (e.g. a ``resize`` over 1000x1000).
OUT_OF_RANGE: Final = "out_of_range"
#: A viewer sent a controller-only message.
FORBIDDEN: Final = "forbidden"
#: The client sends faster than its rate limit.
RATE_LIMITED: Final = "rate_limited"
#: A valid request the stream cannot follow (e.g. a ``resize`` of a recording, which keeps its size).
UNSUPPORTED: Final = "unsupported"
#: Every error code.
ERROR_CODES: Final = frozenset(
    {BAD_MESSAGE, UNKNOWN_TYPE, BAD_FIELD, OUT_OF_RANGE, FORBIDDEN, RATE_LIMITED, UNSUPPORTED}
)

#: The largest client message the server reads, in bytes; bigger closes with 1009.
MAX_CLIENT_MESSAGE: Final = 64 * 1024

#: The largest width or height of a stream, in cells: a ``resize``, a frame read from
#: Redis, a recording's terminal. No display needs more, and a terminal emulator's
#: memory grows with width x height (5000x5000 cost 1.8 GB).
MAX_SIDE: Final = 1000
#: The longest marker label or end reason kept from outside (a recording, Redis), in characters.
MAX_LABEL: Final = 200

#: ``hello``'s ``role``.
ROLE_VIEWER: Final = "viewer"
#: ``hello``'s ``role`` for a client that may resize, send commands and type.
ROLE_CONTROLLER: Final = "controller"


# --- server -> client messages ---------------------------------------------


def hello(
    *,
    server: str,
    codec: str,
    width: int,
    height: int,
    role: str,
    stream: str | None = None,
    codecs: Iterable[str] | None = None,
) -> dict[str, Any]:
    """``hello``: always the first message of a connection.

    ``codec`` is the negotiated subprotocol; ``role`` is :data:`ROLE_VIEWER` or
    :data:`ROLE_CONTROLLER`. v1.1 adds ``stream`` (the stream's name) and
    ``codecs`` (every subprotocol the server offers); each is sent only when given.
    """
    message: dict[str, Any] = {
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "server": server,
        "codec": codec,
        "width": width,
        "height": height,
        "role": role,
    }
    if stream is not None:
        message["stream"] = stream
    if codecs is not None:
        message["codecs"] = list(codecs)
    return message


def frame_message(frame: Frame) -> dict[str, Any]:
    """``frame``: a full frame (also a diff codec's keyframe); valid on any base.

    ``cursor`` (v1.1) only when the frame has one: absent means no cursor drawn.
    """
    message: dict[str, Any] = {
        "type": "frame",
        "seq": frame.seq,
        "ts": frame.ts,
        "width": frame.width,
        "height": frame.height,
        "lines": frame.rows,
    }
    if frame.cursor is not None:
        message["cursor"] = list(frame.cursor)
    return message


def delta_message(delta: Delta) -> dict[str, Any]:
    """``delta``: changed rows as ``[index, line]``, valid only on top of frame ``base``.

    ``cursor`` as in :func:`frame_message`: the whole cursor of frame ``seq``, absent for none.
    """
    message: dict[str, Any] = {
        "type": "delta",
        "seq": delta.seq,
        "base": delta.base,
        "ts": delta.ts,
        "width": delta.width,
        "height": delta.height,
        "rows": delta.rows,
    }
    if delta.cursor is not None:
        message["cursor"] = list(delta.cursor)
    return message


def clear(seq: int) -> dict[str, Any]:
    """``clear``: the engine blanked the screen after frame ``seq``; a keyframe follows."""
    return {"type": "clear", "seq": seq}


def state(state: Any) -> dict[str, Any]:
    """``state``: the engine's state snapshot (a map), as a reply or a broadcast."""
    return {"type": "state", "state": state}


def pong(ts: float, server_ts: float) -> dict[str, Any]:
    """``pong``: the reply to ``ping``; ``ts`` echoes the client's, ``server_ts`` is the server's ms clock.

    ``ts`` must already have passed the message schema (a finite number).
    """
    return {"type": "pong", "ts": ts, "server_ts": server_ts}


def error(code: str, message: str) -> dict[str, Any]:
    """``error``: the reply to a rejected client message; ``code`` is one of :data:`ERROR_CODES`."""
    return {"type": "error", "code": code, "message": message}


def end(seq: int, reason: str) -> dict[str, Any]:
    """``end`` (v1.1): the source ended after frame ``seq``; the server then closes with 1000."""
    return {"type": "end", "seq": seq, "reason": reason}


def presence(viewers: int, controllers: int) -> dict[str, Any]:
    """``presence`` (v1.1): how many clients watch, and how many of them control."""
    return {"type": "presence", "viewers": viewers, "controllers": controllers}


def producer_state(value: object) -> ProducerState:
    """``value`` if it is one of :data:`PRODUCER_STATES`, else :class:`ValueError` (one line)."""
    if value == PRODUCER_LIVE:
        return PRODUCER_LIVE
    if value == PRODUCER_STALLED:
        return PRODUCER_STALLED
    if value == PRODUCER_RECONNECTING:
        return PRODUCER_RECONNECTING
    raise ValueError(f"producer state {value!r:.40} is not one of {', '.join(sorted(PRODUCER_STATES))}")


def producer(state: ProducerState) -> dict[str, Any]:
    """``producer`` (v1.2): whether the stream's producer is heard from; sent on change, and to a client
    that joins while it is not :data:`PRODUCER_LIVE`. :class:`ValueError` (one line) for another state."""
    return {"type": "producer", "state": producer_state(state)}


# --- client -> server decoding ---------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


_json_decoder = json.JSONDecoder(parse_float=_finite_float, parse_constant=_refuse_constant)


def decode_json(data: str | bytes) -> Any:
    """Decode one client message sent as JSON (any text frame; a binary frame on the json codec).

    The one place glyphcast parses client JSON. Returns the decoded value (the
    message schema decides whether it is a valid message). Raises
    :class:`~glyphcast.CodecError` with a one-line reason for anything that is
    not strict JSON: malformed text, bytes that are not UTF-8, ``NaN`` and
    ``Infinity`` or numbers that overflow a float, nesting deep enough to
    exhaust the parser's recursion limit.
    """
    try:
        text = data if isinstance(data, str) else bytes(data).decode("utf-8")
        return _json_decoder.decode(text)
    except RecursionError:
        raise CodecError("not valid JSON: nested too deeply") from None
    except ValueError as failure:  # JSONDecodeError, UnicodeDecodeError, the two refusals above
        raise CodecError(f"not valid JSON: {failure}") from None


# --- the token subprotocol -------------------------------------------------


def token_subprotocol(token: str) -> str:
    """The ``Sec-WebSocket-Protocol`` entry that carries ``token``: ``glyphcast.token.<base64url>``."""
    encoded = base64.urlsafe_b64encode(token.encode("utf-8")).rstrip(b"=").decode("ascii")
    return TOKEN_SUBPROTOCOL_PREFIX + encoded


def token_from_subprotocols(offered: Iterable[str]) -> str | None:
    """The token in the first ``glyphcast.token.*`` entry of ``offered``, or None if there is none.

    Raises :class:`~glyphcast.CodecError` if that entry is not base64url of UTF-8
    text (the server treats it as a wrong token).
    """
    for name in offered:
        if name.startswith(TOKEN_SUBPROTOCOL_PREFIX):
            encoded = name[len(TOKEN_SUBPROTOCOL_PREFIX) :]
            try:
                if not encoded or "=" in encoded:
                    raise ValueError("empty or padded")
                raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
                # urlsafe_b64decode skips characters outside the alphabet; re-encode to refuse them.
                if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != encoded:
                    raise ValueError("not canonical base64url")
                return raw.decode("utf-8")
            except (binascii.Error, ValueError):
                raise CodecError(f"malformed token subprotocol {name[:40]!r}") from None
    return None


def codec_subprotocols(offered: Iterable[str]) -> list[str]:
    """``offered`` without the token entries: the subprotocols that name codecs."""
    return [name for name in offered if not name.startswith(TOKEN_SUBPROTOCOL_PREFIX)]


__all__ = [
    "BAD_FIELD",
    "BAD_MESSAGE",
    "BINARY_SUBPROTOCOL",
    "CLIENT_TYPES",
    "CLOSE_CODES",
    "CLOSE_GOING_AWAY",
    "CLOSE_INTERNAL",
    "CLOSE_NORMAL",
    "CLOSE_POLICY",
    "CLOSE_TOO_BIG",
    "CLOSE_TRY_AGAIN_LATER",
    "CONTROLLER_TYPES",
    "DEFAULT_SUBPROTOCOL",
    "DIFF_SUBPROTOCOL",
    "ERROR_CODES",
    "FORBIDDEN",
    "JSON_SUBPROTOCOL",
    "MAX_CLIENT_MESSAGE",
    "MAX_LABEL",
    "MAX_SIDE",
    "OUT_OF_RANGE",
    "PRODUCER_LIVE",
    "PRODUCER_RECONNECTING",
    "PRODUCER_STALLED",
    "PRODUCER_STATES",
    "PROTOCOL_VERSION",
    "RATE_LIMITED",
    "ROLE_CONTROLLER",
    "ROLE_VIEWER",
    "SERVER_TYPES",
    "SERVER_TYPES_V1",
    "SUBPROTOCOLS",
    "TOKEN_SUBPROTOCOL_PREFIX",
    "UNKNOWN_TYPE",
    "UNSUPPORTED",
    "VIEWER_TYPES",
    "ProducerState",
    "codec_subprotocols",
    "decode_json",
    "delta_message",
    "clear",
    "end",
    "error",
    "frame_message",
    "hello",
    "pong",
    "presence",
    "producer",
    "producer_state",
    "state",
    "token_from_subprotocols",
    "token_subprotocol",
]
