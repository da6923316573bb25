"""A plugin whose ``register_commands`` raises (after registering a display and a command)."""

from glyphcast import hookimpl
from glyphcast.displays import NullDisplay


@hookimpl
def register_displays(register):
    register("broken-command-display", NullDisplay)


@hookimpl
def register_commands(register):
    register("broken-half", lambda parser: None, lambda args: 0)
    raise RuntimeError("its configuration file is missing")
