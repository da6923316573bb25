"""glyphcast plugin: the ``websocket`` display (every installed codec on one port), the
factory codec plugins register their ``websocket-*`` displays with, and the ``glyphcast serve``
command (several named streams on one port)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glyphcast import hookimpl
from glyphcast.hookspecs import RegisterCommand, RegisterDisplay

from glyphcast_websocket import serve, tokens
from glyphcast_websocket.display import HubDisplay
from glyphcast_websocket.legacy import WebSocketDisplay
from glyphcast_websocket.options import DISPLAY_OPTIONS, described, give_signature


def display_factory(subprotocol: str | None, name: str | None = None) -> Callable[..., HubDisplay]:
    """A display factory for ``register_displays`` that enables one codec (None: every installed one).

    A codec plugin registers its display in one line::

        register("websocket-diff", display_factory("glyphcast.diff.v1"), "browsers, keyframes + deltas")

    The factory takes the options of :data:`~glyphcast_websocket.options.DISPLAY_OPTIONS`
    (its signature and docstring list them; docs/websocket-options.md is the
    table). Displays made this way have a control token unless ``control=false``:
    the given one (``control_token``, ``control_token_file`` or the environment
    variable ``GLYPHCAST_CONTROL_TOKEN``) or one made at random per run; their
    :attr:`~HubDisplay.controller_url` carries it. ``token``/``token_file``/
    ``GLYPHCAST_TOKEN`` set a view token that every client needs. Tokens under
    128 bits are refused (DisplayError).
    """
    codecs = None if subprotocol is None else (subprotocol,)
    display_name = name or ("websocket" if subprotocol is None else "websocket-" + subprotocol.split(".")[1])
    defaults = {option.name: option.default for option in DISPLAY_OPTIONS}

    def factory(**given: Any) -> HubDisplay:
        unknown = sorted(set(given) - set(defaults))
        if unknown:
            raise TypeError(f"{factory.__name__}() got an unexpected keyword argument {unknown[0]!r}")
        options = {**defaults, **given}
        host, port, stream = options.pop("host"), options.pop("port"), options["stream"]
        view = tokens.resolve(options.pop("token"), options.pop("token_file"), tokens.VIEW_ENV, "token")
        controlling = tokens.resolve(
            options.pop("control_token"),
            options.pop("control_token_file"),
            tokens.CONTROL_ENV,
            "control_token",
        )
        if not options.pop("control"):
            controlling = ""
        elif not controlling:
            controlling = tokens.run_control_token(stream)
        return WebSocketDisplay(
            host, port, codecs=codecs, name=display_name, token=view, control_token=controlling, **options
        )

    factory.__name__ = f"open_{display_name.replace('-', '_')}"
    factory.__doc__ = (
        f"The {display_name} display (codecs: {subprotocol or 'every installed one'}). Options:\n\n"
        + described(DISPLAY_OPTIONS)
    )
    give_signature(factory, DISPLAY_OPTIONS, HubDisplay)
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
