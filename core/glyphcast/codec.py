"""The wire codec contract: how protocol messages become WebSocket frames and back.

A codec is pure (sans-I/O) and only serializes maps: the messages themselves
are built by :mod:`glyphcast.protocol`. The WebSocket hub negotiates one codec
per connection by ``Sec-WebSocket-Protocol`` and encodes each (codec, base,
seq) once for every session at that point.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeAlias, runtime_checkable

from glyphcast.errors import CodecError as CodecError
from glyphcast.frame import Frame

#: One WebSocket message: ``str`` goes out as a text frame, ``bytes`` as a binary frame.
Message: TypeAlias = bytes | str
#: What an encode method returns: one message, or several (a list or tuple), which every
#: session at that point gets in that order, back to back. A stream format whose update is
#: more than one message (an asciicast resize event, then the repaint) returns several.
Encoded: TypeAlias = Message | list[Message] | tuple[Message, ...]


@runtime_checkable
class Codec(Protocol):
    """One wire codec, e.g. ``glyphcast.json.v1``.

    What the hub does with a codec, and nothing more:

    - Server -> client: every message goes through :meth:`encode` (``hello``,
      ``clear``, ``state``, ``pong``, ``error``, ...), every full frame through
      :meth:`encode_frame`, and, only if :attr:`deltas` is true, every update of
      a session that holds an earlier frame of the same size through
      :meth:`encode_delta`. The return type picks the WebSocket frame: ``str``
      goes out as a text frame, ``bytes`` as a binary frame.
    - Client -> server: a client's **text** frames are always JSON and never
      reach the codec (:func:`glyphcast.protocol.decode_json` reads them). Its
      **binary** frames go to :meth:`decode`.
    - The result of encoding is cached and shared by every session at the same
      point, so encoding must depend only on its arguments.

    Optional extensions, for codecs that speak someone else's stream format
    (asciinema's ALiS and asciicast have no place for most glyphcast messages,
    a resize is an event there, not a keyframe, and their players send nothing):

    - :meth:`encode` may return None: nothing is sent for that message
      (``pong``, ``state``, ``error``, ... in a format without them).
    - ``resize_deltas = True``: :meth:`encode_delta` is also called across a
      change of size (``base`` then has another width or height), so the
      codec can send a resize event and a repaint instead of a keyframe.
      Without the attribute (or False), a resize gets :meth:`encode_frame`.
    - ``one_way = True``: the format's clients (players) only watch and send
      nothing, so nobody controls a stream through it. A display whose every
      codec is one-way offers no control link (see :func:`glyphcast.codec.one_way`).
    """

    #: The WebSocket subprotocol name, e.g. "glyphcast.json.v1"; also the name
    #: ``register_codecs`` registers it under and ``display_factory`` enables.
    subprotocol: str
    #: True: the hub sends a session the changes since the frame it last received
    #: (``encode_delta``); False: every update is a full frame (``encode_frame``).
    deltas: bool

    def encode(self, message: dict[str, Any]) -> Encoded | None:
        """Encode one server->client message (a map with ``type``); ``str`` = text frame, ``bytes`` = binary.

        None: this codec sends nothing for this message.
        """

    def encode_frame(self, frame: Frame) -> Encoded:
        """Encode a full ``frame`` message (:func:`glyphcast.protocol.frame_message`)."""

    def encode_delta(self, frame: Frame, base: Frame) -> Encoded:
        """Encode the update from ``base`` to ``frame`` (same width and height, unless the codec
        sets ``resize_deltas``).

        Called only when :attr:`deltas` is true. A ``delta`` message
        (:func:`glyphcast.protocol.delta_message` of ``frame.delta(base)``) or,
        where a delta does not pay, a full frame: a ``frame`` is valid on any base.
        """

    def decode(self, data: bytes) -> Any:
        """Decode one client->server **binary** frame into the message's value.

        Return what the bytes hold (the hub's message schema then checks that it
        is a map with a known ``type`` and valid fields); raise
        :class:`~glyphcast.CodecError` with a one-line reason for anything that cannot be
        decoded. Never let another exception escape: a client controls these bytes.
        """


def one_way(codecs: Iterable[object]) -> bool:
    """Whether every one of ``codecs`` is one-way (``one_way = True``): its clients only watch, so a
    stream served with only these has no controller to give a link to. False for no codecs."""
    chosen = list(codecs)
    return bool(chosen) and all(getattr(codec, "one_way", False) is True for codec in chosen)
