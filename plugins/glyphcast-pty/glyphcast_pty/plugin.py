"""glyphcast-pty's hooks: the ``pty`` source (``glyphcast run --source pty:command=...``) and the
``glyphcast share`` command."""

from __future__ import annotations

from collections.abc import Sequence

from glyphcast import hookimpl
from glyphcast.hookspecs import RegisterCommand, RegisterSource

from glyphcast_pty import share
from glyphcast_pty.budget import DEFAULT_RATE
from glyphcast_pty.source import PtySource
from glyphcast_pty.terminal import SharedProgram


def open_pty(
    width: int,
    height: int,
    command: str | Sequence[str] = "",
    fps: float = 30.0,
    input_rate: float = DEFAULT_RATE,
    attach: bool = False,
) -> PtySource | SharedProgram:
    """The ``pty`` source: ``command`` (a shell-quoted string, or a list from Python) in a pty of the stream's size.

    ``input_rate``: controller keystrokes, bytes per second. ``attach``: the
    program is also used in this terminal, which sets the size (what
    ``glyphcast share`` does).
    """
    if attach:
        return SharedProgram(width, height, command, fps=fps, input_rate=input_rate)
    return PtySource(width, height, command, fps=fps, input_rate=input_rate)


@hookimpl
def register_sources(register: RegisterSource) -> None:
    register(
        "pty", open_pty, "a terminal program in a pseudo-terminal (vim, a shell, top): its screen as frames"
    )


@hookimpl
def register_commands(register: RegisterCommand) -> None:
    register("share", share.configure, share.run, share.HELP)
