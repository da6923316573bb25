"""Hubs shared by host and port: displays on the same address share one server."""

from __future__ import annotations

import threading

from glyphcast import Codec, DisplayError

from glyphcast_websocket.events import HubListener
from glyphcast_websocket.server import Hub
from glyphcast_websocket.settings import Settings

_hubs: dict[tuple[str, int], Hub] = {}
_lock = threading.Lock()


def acquire(listener: HubListener, host: str, port: int, settings: Settings, codecs: list[Codec]) -> Hub:
    """The hub on (host, port) with ``listener`` attached, started if it is new.

    port 0 (ephemeral) always gets a hub of its own.
    """
    with _lock:
        hub = _hubs.get((host, port)) if port else None
        if hub is not None:
            if hub.settings != settings:
                raise DisplayError(
                    f"displays on {host}:{port} must share one set of options (token, control_token, "
                    f"allow_origin, max_clients, ...); this one differs from the running hub's"
                )
            hub.attach(listener, codecs)
            return hub
        hub = Hub(host, port, settings)
        hub.attach(listener, codecs)
        hub.start()
        _hubs[(host, hub.port)] = hub
        return hub


def release(listener: HubListener, hub: Hub, codecs: list[Codec]) -> None:
    """Detach ``listener``; the last one out stops the hub."""
    with _lock:
        hub.detach(listener, codecs)
        if hub.listeners.all:
            return
        _hubs.pop((hub.host, hub.port), None)
    hub.stop()
