"""What the hub tells the displays attached to a stream, and the plugin hooks, about its clients.

The hub imports nothing from the displays: each display gives it a
:class:`HubListener`. A listener hears about the clients using one of its
codecs (``subprotocols``); resizes go to every listener, since the stream has
one size. A listener or hook that raises is logged (rate-limited by key) and
never drops a client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from glyphcast import ClientInfo

from glyphcast_websocket.ratelog import RateLimitedLog

log = logging.getLogger("glyphcast.websocket")
#: A hook that raises on every client message must not write a traceback per message.
errors = RateLimitedLog(log)


class HubListener(Protocol):
    """A display attached to a stream on a hub (``HubDisplay`` is one)."""

    #: The display's name, reported as ``ClientInfo.display``.
    name: str
    #: The codecs this display enabled.
    subprotocols: frozenset[str]

    def get_dimensions(self) -> tuple[int, int]:
        """The stream size to announce before the first frame."""
        ...

    def on_client_connected(self, client: ClientInfo) -> None: ...

    def on_client_disconnected(self, client: ClientInfo) -> None: ...

    def on_client_command(self, command: Any, client: ClientInfo) -> None: ...

    def on_client_resize(self, width: int, height: int, client: ClientInfo) -> None: ...

    def state_snapshot(self) -> dict[str, Any] | None:
        """This display's part of the ``state`` reply (None: nothing to add)."""
        ...

    def on_hub_failed(self, error: BaseException) -> None:
        """The hub's server stopped with ``error``; the display should fail its next ``show()``."""
        ...


def call_safely(what: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a hook or a listener; one that raises is logged, never allowed to drop a client."""
    try:
        return function(*args, **kwargs)
    except Exception:  # noqa: BLE001 - logged with its traceback, rate-limited
        errors.exception(what, "%s raised; the connection goes on", what)
        return None


def _hook() -> Any:
    from glyphcast.plugins import hook  # the registry loads plugins, this one among them

    return hook()


class Listeners:
    """The listeners attached to one stream; replaced whole, so the hub's thread reads it without a lock."""

    def __init__(self) -> None:
        self.all: tuple[HubListener, ...] = ()

    def add(self, listener: HubListener) -> None:
        self.all = (*self.all, listener)

    def remove(self, listener: HubListener) -> None:
        self.all = tuple(x for x in self.all if x is not listener)

    def serving(self, subprotocol: str) -> list[HubListener]:
        return [x for x in self.all if subprotocol in x.subprotocols]

    def display_name(self, subprotocol: str) -> str:
        serving = self.serving(subprotocol)
        return serving[0].name if serving else "websocket"

    def dimensions(self) -> tuple[int, int]:
        return self.all[0].get_dimensions() if self.all else (80, 24)

    # -- events -----------------------------------------------------------------
    def connected(self, client: ClientInfo) -> None:
        call_safely("client_connected hook", _hook().client_connected, client=client)
        for listener in self.serving(client.codec):
            call_safely(f"{listener.name} connected listener", listener.on_client_connected, client)

    def disconnected(self, client: ClientInfo) -> None:
        call_safely("client_disconnected hook", _hook().client_disconnected, client=client)
        for listener in self.serving(client.codec):
            call_safely(f"{listener.name} disconnected listener", listener.on_client_disconnected, client)

    def command(self, command: Any, client: ClientInfo) -> None:
        call_safely("client_command hook", _hook().client_command, command=command, client=client)
        for listener in self.serving(client.codec):
            call_safely(f"{listener.name} command listener", listener.on_client_command, command, client)

    def resize(self, width: int, height: int, client: ClientInfo) -> str | None:
        """Tell the hooks, then (unless one refused) every listener; the first refusal's reason, if any."""
        results = call_safely(
            "client_resize hook", _hook().client_resize, width=width, height=height, client=client
        )
        refusals = [r for r in reversed(results or []) if isinstance(r, str) and r]
        if refusals:
            return refusals[0]
        for listener in self.all:
            call_safely(f"{listener.name} resize listener", listener.on_client_resize, width, height, client)
        return None

    def input(self, data: str, client: ClientInfo) -> None:
        call_safely("client_input hook", _hook().client_input, data=data, client=client)

    def state(self) -> dict[str, Any]:
        """The ``state`` reply: every ``state_snapshot`` hook's dict, then each listener's."""
        state: dict[str, Any] = {}
        results = call_safely("state_snapshot hook", _hook().state_snapshot) or []
        for result in reversed(results):  # pluggy calls the last registered first
            if isinstance(result, dict):
                state.update(result)
        for listener in self.all:
            snapshot = call_safely(f"{listener.name} state snapshot", listener.state_snapshot)
            if snapshot:
                state.update(snapshot)
        return state

    def failed(self, error: BaseException) -> None:
        for listener in self.all:
            listener.on_hub_failed(error)
