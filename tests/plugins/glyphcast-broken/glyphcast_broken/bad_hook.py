"""A plugin with a misspelled hook (``register_display``, not ``register_displays``)."""

from glyphcast import hookimpl
from glyphcast.displays import NullDisplay


@hookimpl
def register_display(register):
    register("never-registered", NullDisplay)
