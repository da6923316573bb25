"""glyphcast's WebSocket hub: one port for the viewer page and the WebSocket, per-client sessions.

Public surface::

    from glyphcast_websocket import WebSocketDisplay, StreamingMode, display_factory
"""

from __future__ import annotations

from glyphcast_websocket.display import HubDisplay
from glyphcast_websocket.legacy import StreamingMode, WebSocketDisplay
from glyphcast_websocket.options import DEFAULT_HOST, DEFAULT_PORT
from glyphcast_websocket.plugin import display_factory

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "HubDisplay",
    "StreamingMode",
    "WebSocketDisplay",
    "__version__",
    "display_factory",
]
