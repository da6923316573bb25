"""The whole glyphcast plugin API: every hook a plugin may implement.

A plugin is a module (or object) with functions marked ``@glyphcast.hookimpl``,
published under the entry-point group ``glyphcast``::

    [project.entry-points.glyphcast]
    mydisplay = "my_package.plugin"

Registration hooks take a ``register`` callback (as llm does) and are called once,
when glyphcast first builds its registry. Event hooks are called as things happen.
Per-frame work never goes through hooks: displays are looked up once, then
called directly.

Hook arguments are passed by keyword, so an implementation may accept only the
arguments it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from glyphcast.clients import ClientInfo
    from glyphcast.codec import Codec
    from glyphcast.display import Display

hookspec = pluggy.HookspecMarker("glyphcast")
hookimpl = pluggy.HookimplMarker("glyphcast")

RegisterDisplay = Callable[..., None]
RegisterSource = Callable[..., None]
RegisterCodec = Callable[["Codec"], None]
RegisterCommand = Callable[..., None]


# -- registration -----------------------------------------------------------
@hookspec
def register_displays(register: RegisterDisplay) -> None:
    """Register displays: call ``register(name, factory, description="")`` once per display.

    ``name`` is what users select (``--display NAME``, ``open_display(NAME)``).
    ``factory(**options)`` returns a :class:`~glyphcast.Display`; its keyword
    parameters are the display's options, and their defaults or annotations
    (bool, int, float, str) tell the CLI how to convert ``NAME:key=value``.
    The factory is only called when the display is selected.
    """


@hookspec
def register_sources(register: RegisterSource) -> None:
    """Register sources: call ``register(name, factory, description="")`` once per source.

    ``factory(width=..., height=..., **options)`` returns a :class:`~glyphcast.Source`
    (``glyphcast run --source NAME``). Options are converted as for displays.
    """


@hookspec
def register_codecs(register: RegisterCodec) -> None:
    """Register WebSocket wire codecs: call ``register(codec)`` with a :class:`~glyphcast.Codec`.

    The WebSocket hub offers every registered codec by its ``subprotocol``.
    """


@hookspec
def register_commands(register: RegisterCommand) -> None:
    """Add subcommands to the ``glyphcast`` command: call ``register(name, configure, run, help="")`` once per command.

    ``name`` is what users type (``glyphcast NAME``) and ``help`` the one line
    ``glyphcast --help`` shows next to it. ``configure(parser)`` declares the
    command's arguments on an :class:`argparse.ArgumentParser` (it may also set
    ``parser.description``, ``parser.epilog`` and ``parser.formatter_class``);
    it is called when ``glyphcast`` builds its command line, not when a library
    loads the plugins. ``run(args)`` gets the parsed :class:`argparse.Namespace`
    when the user picks the command and returns the exit status (an int).

    A user's mistake is raised as :class:`glyphcast.commandline.UsageError` (or
    :class:`~glyphcast.OptionError`): glyphcast prints it on one line and exits 2.
    What core's ``run`` is made of is public, so a command that plays a source
    behaves exactly as ``run`` does: :func:`glyphcast.play.play` (open, run,
    end, linger, clean up on every way out) and the argument types and
    :func:`~glyphcast.commandline.add_run_options` of :mod:`glyphcast.commandline`.

    Without the plugin installed (or with it disabled) its commands do not
    exist: ``glyphcast --help`` lists exactly what is installed. The first
    plugin to register a name keeps it; ``run`` and ``plugins`` are core's. A
    ``register_commands`` that raises skips its plugin like any broken one;
    a ``configure`` that raises drops that command, naming the plugin.
    """


# -- events -----------------------------------------------------------------
@hookspec
def display_error(name: str, display: Display, error: BaseException) -> None:
    """A display raised; the stream has disabled it and goes on with the others.

    Called once per failed display. ``name`` is how it was selected.
    """


@hookspec
def client_connected(client: ClientInfo) -> None:
    """A client finished its handshake and will receive frames."""


@hookspec
def client_disconnected(client: ClientInfo) -> None:
    """A client's connection closed, for whatever reason."""


@hookspec
def client_command(command: Any, client: ClientInfo) -> None:
    """A controller sent ``{"type": "command", "command": ...}``; ``command`` is as sent."""


@hookspec
def client_input(data: str, client: ClientInfo) -> None:
    """A controller sent keystrokes: ``{"type": "input", "data": ...}``."""


@hookspec
def client_resize(width: int, height: int, client: ClientInfo) -> str | None:
    """A controller asked for a new size (already checked to be within 1..1000 x 1..1000).

    Return None to accept (or to have no opinion), or a one-line reason to
    refuse: the controller then gets an ``error`` reply with code
    ``unsupported`` and that reason, and the displays keep their size.
    """


@hookspec
def state_snapshot() -> dict[str, Any] | None:
    """Return state for a client's ``state_request`` (or None for nothing).

    Every plugin's dict is merged into one ``state`` reply, later plugins
    overriding earlier keys.
    """


@hookspec
def marker(label: str, ts: float) -> None:
    """A marker was set: by the engine (``Stream.marker``) or met in a replayed recording.

    ``ts`` is the wall clock in milliseconds.
    """


__all__ = [
    "hookimpl",
    "hookspec",
    "RegisterCodec",
    "RegisterCommand",
    "RegisterDisplay",
    "RegisterSource",
]
