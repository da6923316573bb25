"""glyphcast plugin: the ``websocket`` display (every installed codec on one port), and the
factory codec plugins register their ``websocket-*`` displays with."""

from __future__ import annotations

from collections.abc import Callable

from glyphcast import hookimpl
from glyphcast.hookspecs import RegisterDisplay

from glyphcast_websocket.display import DEFAULT_HOST, DEFAULT_PORT, HubDisplay
from glyphcast_websocket.seed import WebSocketDisplay


def display_factory(subprotocol: str | None, name: str | None = None) -> Callable[..., HubDisplay]:
    """A display factory for ``register_displays`` that enables one codec (None: every installed one).

    A codec plugin registers its display in one line::

        register("websocket-diff", display_factory("glyphcast.diff.v1"), "browsers, keyframes + deltas")
    """
    codecs = None if subprotocol is None else (subprotocol,)
    display_name = name or ("websocket" if subprotocol is None else "websocket-" + subprotocol.split(".")[1])

    def factory(
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        token: str = "",
        control_token: str = "",
        allow_origin: tuple[str, ...] = (),
        max_clients: int = 256,
    ) -> HubDisplay:
        return WebSocketDisplay(
            host,
            port,
            codecs=codecs,
            name=display_name,
            token=token,
            control_token=control_token,
            allow_origin=allow_origin,
            max_clients=max_clients,
        )

    factory.__name__ = f"open_{display_name.replace('-', '_')}"
    factory.__doc__ = f"The {display_name} display (codecs: {subprotocol or 'every installed one'})."
    return factory


@hookimpl
def register_displays(register: RegisterDisplay) -> None:
    register(
        "websocket",
        display_factory(None),
        "browsers over WebSocket: the viewer page and every installed codec on one port",
    )
