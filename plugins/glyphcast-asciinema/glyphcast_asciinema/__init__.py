"""glyphcast-asciinema: live glyphcast streams in asciinema's formats, for the stock asciinema-player.

Three WebSocket codecs, negotiated by the subprotocol names asciinema-player offers:
``v1.alis`` (:class:`AlisCodec`, binary ALiS events), ``v2.asciicast`` and
``v3.asciicast`` (:class:`AsciicastV2Codec`, :class:`AsciicastV3Codec`, one
asciicast line per text message). ``docs/asciinema.md`` says what each carries.
"""

from __future__ import annotations

from glyphcast_asciinema.alis import ALIS_SUBPROTOCOL, AlisCodec
from glyphcast_asciinema.asciicast import (
    ASCIICAST_V2_SUBPROTOCOL,
    ASCIICAST_V3_SUBPROTOCOL,
    AsciicastV2Codec,
    AsciicastV3Codec,
)
from glyphcast_asciinema.timeline import Timeline

__version__ = "0.1.0"

__all__ = [
    "ALIS_SUBPROTOCOL",
    "ASCIICAST_V2_SUBPROTOCOL",
    "ASCIICAST_V3_SUBPROTOCOL",
    "AlisCodec",
    "AsciicastV2Codec",
    "AsciicastV3Codec",
    "Timeline",
    "__version__",
]
