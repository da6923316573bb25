"""core's conformance suite on the hub's displays: show() is O(1), cleanup is idempotent, errors surface."""

from __future__ import annotations

import glyphcast
from glyphcast.testing import DisplayConformance
from glyphcast_websocket import StreamingMode, WebSocketDisplay


class TestWebSocketJsonConformance(DisplayConformance):
    def make_display(self) -> glyphcast.Display:
        return glyphcast.open_display("websocket-json", port=0)


class TestWebSocketAllCodecsConformance(DisplayConformance):
    def make_display(self) -> glyphcast.Display:
        return glyphcast.open_display("websocket", port=0)


class TestSeedWebSocketDisplayConformance(DisplayConformance):
    """The seed-compatible class an engine constructs by hand keeps the same rules."""

    def make_display(self) -> glyphcast.Display:
        return WebSocketDisplay(port=0, streaming_mode=StreamingMode.JSON)
