"""What event hooks are told about a connected client."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """A client of a networked display (a browser viewer, a bot, a test).

    ``id`` is unique within the process; ``role`` is "viewer" (read-only) or
    "controller" (may send resize/command/input); ``codec`` is the negotiated
    subprotocol; ``remote`` is "host:port"; ``display`` is the entry-point name
    of the display that accepted it; ``stream`` the name of the stream it watches
    (one port may carry several).
    """

    id: int
    remote: str
    codec: str
    role: str
    display: str = "websocket"
    user_agent: str = ""
    stream: str = "main"
