"""The legacy API: the original ``WebSocketDisplay``, call-compatible, so an engine written for it swaps it in unedited.

This module was called ``glyphcast_websocket.seed``; that name still imports (as an alias of this one).
"""

from __future__ import annotations

from enum import IntFlag
from typing import Any

from glyphcast import protocol

from glyphcast_websocket.display import HubDisplay
from glyphcast_websocket.options import DEFAULT_HOST, DEFAULT_PORT


class StreamingMode(IntFlag):
    """The legacy streaming modes, now names for codecs (see :meth:`WebSocketDisplay.set_streaming_mode`)."""

    JSON = 0x01
    BINARY = 0x02
    DIFF = 0x04


MODE_SUBPROTOCOLS = {
    StreamingMode.DIFF: protocol.DIFF_SUBPROTOCOL,
    StreamingMode.BINARY: protocol.BINARY_SUBPROTOCOL,
    StreamingMode.JSON: protocol.JSON_SUBPROTOCOL,
}


class WebSocketDisplay(HubDisplay):
    """The legacy class, kept call-compatible: every public method still works.

    Differences a legacy user may notice:

    - Nobody controls without the control token (docs/security.md; the legacy class
      trusted every client). Watching works as before; to send ``command``,
      ``resize`` or ``input``, pass ``control_token=...`` and open the viewer
      at :attr:`~glyphcast_websocket.HubDisplay.controller_url` (``http://127.0.0.1:8765/#control=...``).
      Other clients send ``Authorization: Bearer <token>``; a token in the
      query string is refused.
    - It binds 127.0.0.1 unless asked otherwise, and answers only requests
      whose ``Host`` is this machine's (``allowed_hosts`` adds names) and
      browsers on its own pages (``allow_origin`` adds others).
    - ``http_port`` is accepted and ignored: HTTP and WebSocket share ``port``.
    - Callbacks receive a :class:`glyphcast.ClientInfo` instead of the raw
      socket; streaming modes name codecs (see :meth:`set_streaming_mode`).
    - ``stop_server()`` really stops serving; ``start_server()`` or ``init()``
      serves again.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        http_port: int | None = None,
        streaming_mode: StreamingMode = StreamingMode.JSON,
        **options: Any,
    ) -> None:
        super().__init__(host, port, **options)
        self.http_port = http_port
        self._streaming_mode = streaming_mode

    def start(self) -> None:
        super().start()
        self._apply_streaming_mode()

    def set_streaming_mode(self, mode: StreamingMode) -> None:
        """Choose the codec for clients that offer no subprotocol (legacy clients).

        The highest enabled mode wins (DIFF, then BINARY, then JSON); clients that
        offer subprotocols always get the first one they offer that is enabled.
        """
        self._streaming_mode = StreamingMode(mode)
        self._apply_streaming_mode()

    def get_streaming_mode(self) -> StreamingMode:
        return self._streaming_mode

    def start_server(self) -> None:
        """Serve the viewer and the WebSocket (what ``init`` does; nothing if already serving)."""
        self.init(self.width, self.height)

    def stop_server(self) -> None:
        """Close every client with 1001 and free the port; ``start_server()`` or ``init()`` serves again."""
        self.cleanup()

    def start_http_server(self) -> None:
        """HTTP and WebSocket share one port now: the same as :meth:`start_server`."""
        self.start_server()

    def stop_http_server(self) -> None:
        """HTTP and WebSocket share one port now: the same as :meth:`stop_server`."""
        self.stop_server()

    def _get_state_snapshot(self) -> dict[str, Any] | None:
        """The legacy name for :meth:`state_snapshot`."""
        return self.state_snapshot()

    def _apply_streaming_mode(self) -> None:
        hub = self.hub
        if hub is None:
            return
        for mode, subprotocol in MODE_SUBPROTOCOLS.items():
            if mode & self._streaming_mode and subprotocol in self.subprotocols:
                hub.default_subprotocol = subprotocol
                return
        hub.default_subprotocol = protocol.JSON_SUBPROTOCOL
