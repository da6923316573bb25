"""glyphcast-record's hooks: the ``record`` display, the ``replay`` source and the ``glyphcast replay`` command."""

from __future__ import annotations

from glyphcast import hookimpl
from glyphcast.hookspecs import RegisterCommand, RegisterDisplay, RegisterSource

from glyphcast_record import replay_command
from glyphcast_record.recorder import RecordDisplay
from glyphcast_record.replay import open_replay


@hookimpl
def register_displays(register: RegisterDisplay) -> None:
    register("record", RecordDisplay, "asciicast v2 (or v3) file that asciinema plays (lossless, crash-safe)")


@hookimpl
def register_sources(register: RegisterSource) -> None:
    register("replay", open_replay, "plays an asciicast recording (v1, v2, v3) at its recorded timing")


@hookimpl
def register_commands(register: RegisterCommand) -> None:
    register("replay", replay_command.configure, replay_command.run, replay_command.HELP)
