"""glyphcast plugin: the ``websocket`` display (every installed codec on one port), the
factory codec plugins register their ``websocket-*`` displays with, and the ``glyphcast serve``
command (several named streams on one port)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from glyphcast import hookimpl
from glyphcast.hookspecs import RegisterCommand, RegisterDisplay

from glyphcast_websocket import serve, tokens
from glyphcast_websocket.display import DEFAULT_HOST, DEFAULT_PORT, HubDisplay
from glyphcast_websocket.room import MAIN
from glyphcast_websocket.seed import WebSocketDisplay


def display_factory(subprotocol: str | None, name: str | None = None) -> Callable[..., HubDisplay]:
    """A display factory for ``register_displays`` that enables one codec (None: every installed one).

    A codec plugin registers its display in one line::

        register("websocket-diff", display_factory("glyphcast.diff.v1"), "browsers, keyframes + deltas")

    Displays made this way have a control token unless ``control=false``: the
    given one (``control_token``, ``control_token_file`` or the environment
    variable ``GLYPHCAST_CONTROL_TOKEN``) or one made at random per run; their
    :attr:`~HubDisplay.controller_url` carries it. ``token``/``token_file``/
    ``GLYPHCAST_TOKEN`` set a view token that every client needs. ``stream``
    names the stream: displays with different names share one port, stream
    NAME served at ``/s/NAME/``. ``reuse_port=true`` lets several processes
    listen on the same port (SO_REUSEPORT): edge servers of one stream, one per core.
    ``trusted_proxies`` (addresses or networks, e.g. ``127.0.0.1,10.0.0.0/8``):
    requests from these name their client in ``X-Forwarded-For``/``Forwarded``,
    which then keys the wrong-token throttle and the logs (headers from anyone
    else are never read). Tokens under 128 bits are refused (DisplayError).
    """
    codecs = None if subprotocol is None else (subprotocol,)
    display_name = name or ("websocket" if subprotocol is None else "websocket-" + subprotocol.split(".")[1])

    def factory(
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        stream: str = MAIN,
        token: str = "",
        token_file: Path | None = None,
        control_token: str = "",
        control_token_file: Path | None = None,
        control: bool = True,
        allow_origin: tuple[str, ...] = (),
        allowed_hosts: tuple[str, ...] = (),
        public_url: str = "",
        frame_ancestors: tuple[str, ...] = (),
        trusted_proxies: tuple[str, ...] = (),
        certfile: Path | None = None,
        keyfile: Path | None = None,
        max_clients: int = 256,
        compression: bool = True,
        reuse_port: bool = False,
    ) -> HubDisplay:
        view = tokens.resolve(token, token_file, tokens.VIEW_ENV, "token")
        controlling = tokens.resolve(control_token, control_token_file, tokens.CONTROL_ENV, "control_token")
        if not control:
            controlling = ""
        elif not controlling:
            controlling = tokens.run_control_token(stream)
        return WebSocketDisplay(
            host,
            port,
            codecs=codecs,
            name=display_name,
            stream=stream,
            token=view,
            control_token=controlling,
            allow_origin=allow_origin,
            allowed_hosts=allowed_hosts,
            public_url=public_url,
            frame_ancestors=frame_ancestors,
            trusted_proxies=trusted_proxies,
            certfile=certfile or "",
            keyfile=keyfile or "",
            max_clients=max_clients,
            compression=compression,
            reuse_port=reuse_port,
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


@hookimpl
def register_commands(register: RegisterCommand) -> None:
    register("serve", serve.configure, serve.run, serve.HELP)
