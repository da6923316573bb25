"""Hubs shared by host and port: displays on the same address share one server, and one
stream (room) per stream name."""

from __future__ import annotations

import threading

from glyphcast import Codec, DisplayError

from glyphcast_websocket.events import HubListener
from glyphcast_websocket.hub import Hub
from glyphcast_websocket.named_stream import NamedStream
from glyphcast_websocket.settings import Settings

_hubs: dict[tuple[str, int], Hub] = {}
_lock = threading.Lock()


def acquire(
    listener: HubListener, host: str, port: int, stream: str, settings: Settings, codecs: list[Codec]
) -> tuple[Hub, NamedStream]:
    """The hub on (host, port), started if it is new, and its stream ``stream`` with ``listener`` attached.

    port 0 (ephemeral) always gets a hub of its own. Displays of one stream
    share every option; streams on one port share the server's own (TLS, timeouts).
    """
    with _lock:
        hub = _hubs.get((host, port)) if port else None
        if hub is not None:
            if hub.settings.server_part() != settings.server_part():
                raise DisplayError(
                    f"streams on {host}:{port} must share the server's options (certfile, keyfile, "
                    "write_limit, ping_interval, ...); this display's differ from the running server's"
                )
            room = hub.rooms.get(stream)
            if room is not None and room.settings != settings:
                raise DisplayError(
                    f"displays of stream {stream!r} on {host}:{port} must share one set of options (token, "
                    "control_token, allow_origin, max_clients, ...); this one differs from the running stream's"
                )
            room = hub.room(stream, settings)
            room.attach(listener, codecs)
            return hub, room
        hub = Hub(host, port, settings)
        room = hub.room(stream, settings)
        room.attach(listener, codecs)
        hub.start()
        _hubs[(host, hub.port)] = hub
        return hub, room


def release(listener: HubListener, hub: Hub, room: NamedStream, codecs: list[Codec]) -> None:
    """Detach ``listener``; the last one out of a stream closes it, the last stream out stops the hub."""
    with _lock:
        room.detach(listener, codecs)
        if room.listeners.all:
            return
        if len(hub.rooms) > 1:
            hub.remove(room)
            return
        _hubs.pop((hub.host, hub.port), None)
    hub.stop()
