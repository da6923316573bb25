"""Which codecs a hub speaks, and which one a new connection gets (sans-I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from glyphcast import Codec

from glyphcast_websocket.quote import quote

#: How many offered subprotocols an error quotes, and how many characters of each.
QUOTED = 4
QUOTED_LENGTH = 40


class NoCodec(ValueError):
    """No enabled codec fits what the client offered; the text says what the server speaks.

    What the client offered is quoted escaped and cut short (:func:`~glyphcast_websocket.quote.quote`):
    it came from a request header, and the text reaches logs.
    """


def _quoted(offered: Sequence[str]) -> str:
    shown = ", ".join(quote(str(subprotocol), QUOTED_LENGTH) for subprotocol in offered[:QUOTED])
    return shown if len(offered) <= QUOTED else f"{shown} and {len(offered) - QUOTED} more"


def choose_subprotocol(offered: Sequence[str], codecs: Mapping[str, Codec], default: str) -> str | None:
    """The subprotocol to answer with, or None for a client that offered none (it gets ``default``).

    Raises :class:`NoCodec` when nothing offered is enabled, or when nothing is
    offered and ``default`` is not enabled.
    """
    for subprotocol in offered:
        if subprotocol in codecs:
            return str(subprotocol)
    speaks = ", ".join(sorted(codecs)) or "nothing"
    if offered:
        raise NoCodec(
            f"none of the offered subprotocols ({_quoted(offered)}) is enabled; this server speaks {speaks}"
        )
    if default not in codecs:
        raise NoCodec(f"no subprotocol offered and {default} is not enabled; offer one of {speaks}")
    return None


class EnabledCodecs:
    """The codecs a hub negotiates: the union of its displays' codecs, counted per display.

    ``by_subprotocol`` is replaced whole on every change, so the hub's
    thread reads it without a lock while displays attach and detach.
    """

    def __init__(self) -> None:
        self.by_subprotocol: dict[str, Codec] = {}
        self._refs: dict[str, int] = {}

    def add(self, codecs: Iterable[Codec]) -> None:
        enabled = dict(self.by_subprotocol)
        for codec in codecs:
            self._refs[codec.subprotocol] = self._refs.get(codec.subprotocol, 0) + 1
            enabled[codec.subprotocol] = codec
        self.by_subprotocol = enabled

    def remove(self, codecs: Iterable[Codec]) -> None:
        enabled = dict(self.by_subprotocol)
        for codec in codecs:
            left = self._refs.get(codec.subprotocol, 0) - 1
            if left <= 0:
                self._refs.pop(codec.subprotocol, None)
                enabled.pop(codec.subprotocol, None)
            else:
                self._refs[codec.subprotocol] = left
        self.by_subprotocol = enabled
