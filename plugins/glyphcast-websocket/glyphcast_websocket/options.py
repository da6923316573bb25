"""The websocket display's options, as users see them: one list made from their declarations.

A stream's settings are declared as the fields of
:class:`~glyphcast_websocket.settings.Settings`; the few options that are not
settings (where the display serves, and where its tokens come from) are
declared here. :data:`OPTIONS` puts them together, and everything that lists
options is made from it: the signature and help of every ``websocket*``
display's factory (:func:`~glyphcast_websocket.display_factory`),
:class:`~glyphcast_websocket.HubDisplay`'s signature, and the table in
docs/websocket-options.md (:func:`markdown_table`; a test keeps the page equal
to it).
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glyphcast_websocket.named_stream import MAIN
from glyphcast_websocket.settings import DISPLAY, FIXED, PYTHON, Settings, about

#: Where a display listens unless told otherwise: this machine only.
DEFAULT_HOST = "127.0.0.1"
#: The port for the viewer page and the WebSocket together.
DEFAULT_PORT = 8765


@dataclass(frozen=True, slots=True)
class Option:
    """One option: ``websocket:NAME=VALUE`` (audience :data:`~.settings.DISPLAY`) and ``HubDisplay(NAME=VALUE)``.

    ``help`` is one line of Markdown (`code` in single backquotes).
    """

    name: str
    type: Any
    default: Any
    help: str
    audience: str = DISPLAY


#: Where a display serves: the hub (host and port) and the stream on it.
PLACE = (
    Option(
        "host",
        str,
        DEFAULT_HOST,
        "the address to listen on; `0.0.0.0` or `::` for every interface (then set a `token`)",
    ),
    Option("port", int, DEFAULT_PORT, "the port of the viewer page and the WebSocket; `0` picks a free one"),
    Option(
        "stream",
        str,
        MAIN,
        "the stream's name (a-z, 0-9, `-`, `_`): streams share the port, stream NAME at `/s/NAME/`",
    ),
)
#: Where the tokens come from besides the options themselves (:mod:`.tokens`): listed after the token they set.
TOKEN_SOURCES = {
    "token": (
        Option(
            "token_file",
            Path | None,
            None,
            "read `token` from the first line of this file (argv shows in `ps`)",
        ),
    ),
    "control_token": (
        Option(
            "control_token_file", Path | None, None, "read `control_token` from the first line of this file"
        ),
        Option("control", bool, True, "`false`: nobody controls the stream (no control token at all)"),
    ),
}


def _declared() -> tuple[Option, ...]:
    types = typing.get_type_hints(Settings)
    options = list(PLACE)
    for setting in dataclasses.fields(Settings):
        said = about(setting)
        if said.audience != FIXED:
            options.append(
                Option(setting.name, types[setting.name], setting.default, said.help, said.audience)
            )
            options.extend(TOKEN_SOURCES.get(setting.name, ()))
    return tuple(options)


#: Every option, in the order users see them.
OPTIONS = _declared()
#: What ``websocket:NAME=VALUE`` (and ``open_display("websocket", NAME=VALUE)``) takes.
DISPLAY_OPTIONS = tuple(option for option in OPTIONS if option.audience == DISPLAY)
#: The options that are settings, which ``HubDisplay(NAME=VALUE)`` takes besides its own parameters.
SETTING_OPTIONS = tuple(
    option for option in OPTIONS if option.name in {f.name for f in dataclasses.fields(Settings)}
)


def _parameters(options: Iterable[Option]) -> list[inspect.Parameter]:
    return [
        inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=o.default, annotation=o.type)
        for o in options
    ]


def give_signature(function: Callable[..., Any], options: Iterable[Option], returns: Any) -> None:
    """Make ``function(**options)`` read as if written with a keyword parameter per option.

    ``inspect.signature`` (and so ``glyphcast.options.bind_options``, which
    converts ``NAME=VALUE`` text to each option's type) and ``help()`` see the
    options; the function itself still takes ``**options``.
    """
    options = tuple(options)
    fake: Any = function
    fake.__signature__ = inspect.Signature(_parameters(options), return_annotation=returns)
    fake.__annotations__ = {**{o.name: o.type for o in options}, "return": returns}


def spell_out_settings(init: Callable[..., Any]) -> None:
    """Put the setting options in place of ``**options`` in ``init``'s signature (``HubDisplay.__init__``),
    before its ``width`` and ``height``."""
    signature = inspect.signature(init)
    own = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    at = next((i for i, p in enumerate(own) if p.name == "width"), len(own))
    fake: Any = init
    fake.__signature__ = signature.replace(parameters=[*own[:at], *_parameters(SETTING_OPTIONS), *own[at:]])


def described(options: Iterable[Option]) -> str:
    """The options as a reST definition list, for a docstring."""
    return "\n".join(
        f"``{o.name}`` (default ``{o.default!r}``)\n    {o.help.replace('`', '``')}" for o in options
    )


def markdown_table() -> str:
    """docs/websocket-options.md's table: every option, its default and what it does."""
    rows = ["| option | default | what it does |", "| --- | --- | --- |"]
    for option in OPTIONS:
        default = "—" if option.default in ("", (), None) else f"`{_text(option.default)}`"
        only = " (Python only: `HubDisplay(...)`)" if option.audience == PYTHON else ""
        rows.append(f"| `{option.name}` | {default} | {option.help}{only} |")
    return "\n".join(rows)


def _text(value: Any) -> str:
    """An option's default as it is written in ``NAME=VALUE``."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
