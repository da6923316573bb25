"""What every ``glyphcast`` subcommand's command line is made of: exit statuses, usage errors,
argument types, the run options and the listing of installed displays and sources.

Core's ``run`` uses these, and so do the commands plugins add through the
``register_commands`` hook, so that every command reads and fails the same way.
"""

from __future__ import annotations

import argparse
import signal
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from glyphcast.options import option_names, parse_spec
from glyphcast.plugins import Registry
from glyphcast.protocol import MAX_SIDE

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM


class UsageError(Exception):
    """A mistake in the command line; ``glyphcast`` prints the message as one line and exits 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with errors on one line (usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        """Print ``message`` as one line that points at ``--help``, and exit with status 2 (``EXIT_USAGE``)."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# -- argument types ------------------------------------------------------------
def size_arg(text: str) -> tuple[int, int]:
    """``WxH`` (each side 1..1000) as ``(width, height)``."""
    width, x, height = text.lower().partition("x")
    try:
        size = (int(width), int(height)) if x else None
    except ValueError:
        size = None
    if size is None or not all(1 <= side <= MAX_SIDE for side in size):
        raise argparse.ArgumentTypeError(f"expected WxH like 80x24 (1..{MAX_SIDE} each), got {text!r}")
    return size


def _finite(text: str, allowed: Callable[[float], bool], expected: str) -> float:
    """``text`` as a finite float that ``allowed`` accepts, else an argparse error saying ``expected``."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (allowed(value) and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def positive_float(text: str) -> float:
    return _finite(text, lambda value: value > 0, "a positive number")


def non_negative_float(text: str) -> float:
    return _finite(text, lambda value: value >= 0, "a number of seconds >= 0")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def port_arg(text: str) -> int:
    """A TCP port, 0..65535 (0: the system picks a free one)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"expected a port number 0..65535 (0 picks a free one), got {text!r}"
        )
    return value


# -- options and help shared by commands ----------------------------------------
RUN_SIZE_HELP = (
    "frame size in cells (default 80x24; on the terminal display, the terminal's size less one line); "
    "refused for a source that keeps its own size (a recording)"
)
RUN_FPS_HELP = "frames per second (default 30); a recording keeps its own timing (see replay --speed)"


def add_run_options(
    parser: argparse.ArgumentParser,
    size_help: str = RUN_SIZE_HELP,
    fps_help: str = RUN_FPS_HELP,
    default_display: str = "terminal",
) -> None:
    """``--display`` (repeatable), ``--size``, ``--fps``, ``--frames``/``--duration`` and ``--host``/``--port``,
    as ``run`` has them.

    The values are what :func:`glyphcast.play.play` takes, the displays after
    :func:`with_address` has given them ``--host``/``--port``; ``--display`` is None
    when not given (``default_display`` only names the default in the help).
    """
    parser.add_argument(
        "--display",
        action="append",
        metavar="NAME[:k=v,...]",
        help=f"a display to show the stream on; repeat for several side by side (default: {default_display})",
    )
    parser.add_argument("--size", type=size_arg, metavar="WxH", help=size_help)
    parser.add_argument("--fps", type=positive_float, default=30.0, help=fps_help)
    limit = parser.add_mutually_exclusive_group()
    limit.add_argument("--frames", type=positive_int, metavar="N", help="stop after N frames")
    limit.add_argument("--duration", type=positive_float, metavar="S", help="stop after S seconds")
    add_address_options(parser)


#: A display with both these options serves (the ``websocket*`` displays): ``--host`` and ``--port`` set them.
ADDRESS_OPTIONS = ("host", "port")


def add_address_options(parser: argparse.ArgumentParser) -> None:
    """``--host`` and ``--port``: where the displays that serve listen (see :func:`with_address`)."""
    parser.add_argument(
        "--host",
        metavar="ADDRESS",
        help="the address the browser viewer is served on (default 127.0.0.1: this machine only); sets "
        "host=ADDRESS on every --display that serves (websocket*), where a different host= is an error",
    )
    parser.add_argument(
        "--port",
        type=port_arg,
        metavar="N",
        help="the port the browser viewer is served on (default 8765; 0 picks a free one); sets "
        "port=N on every --display that serves (websocket*), where a different port= is an error",
    )


def _same(key: str, given: str, value: str) -> bool:
    if key == "port" and given.strip().isdigit():
        return int(given) == int(value)
    return given.strip() == value


def with_address(
    display_specs: Sequence[str], registry: Registry, host: str | None = None, port: int | None = None
) -> list[str]:
    """``display_specs`` with ``--host``/``--port`` given to every display that serves (one with
    ``host`` and ``port`` options). A spec that names another host or port, or no display that
    serves at all, is a :class:`UsageError`; a spec that names the same one is left as it is."""
    given = {key: str(value) for key, value in (("host", host), ("port", port)) if value is not None}
    if not given:
        return list(display_specs)
    specs: list[str] = []
    serving = unknown = False
    for spec in display_specs:
        name, options = parse_spec(spec)
        entry = registry.displays.get(name)
        if entry is None:  # left for opening it to report (unknown, or disabled)
            unknown = True
            specs.append(spec)
            continue
        try:
            names = option_names(entry.factory)
        except (TypeError, ValueError):  # a factory without a signature: it takes no host or port
            names = []
        if not all(option in names for option in ADDRESS_OPTIONS):
            specs.append(spec)
            continue
        serving = True
        for key, value in given.items():
            if key in options and not _same(key, options[key], value):
                raise UsageError(
                    f"--{key} {value} and {key}={options[key]} in --display {name} disagree: give the {key} once"
                )
        missing = ",".join(f"{key}={value}" for key, value in given.items() if key not in options)
        separator = "," if options else "" if spec.rstrip().endswith(":") else ":"
        specs.append(f"{spec.rstrip()}{separator}{missing}" if missing else spec)
    if not serving and not unknown:
        chosen = ", ".join(parse_spec(spec)[0] for spec in display_specs)
        flags = " and ".join(f"--{key}" for key in given)
        raise UsageError(
            f"{flags} is for a display that serves browsers (websocket), and {chosen} does not serve: leave {flags} out"
        )
    return specs


def listing(registry: Registry) -> str:
    """The installed displays (with their options) and sources, for a command's ``--help``."""

    def options(entry: Any) -> str:
        try:
            names = option_names(entry.factory, skip=("width", "height"))
        except (TypeError, ValueError):  # a factory without a signature (a builtin): no options to show
            return ""
        return f" [{', '.join(names)}]" if names else ""

    def rows(table: dict[str, Any]) -> str:
        return "\n".join(
            f"  {name:<18} {entry.description}{options(entry)}" for name, entry in sorted(table.items())
        )

    return (
        f"installed displays [their options, as NAME:key=value,...]:\n{rows(registry.displays)}\n\n"
        f"installed sources:\n{rows(registry.sources)}"
    )


__all__ = [
    "ADDRESS_OPTIONS",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "MAX_SIDE",
    "Parser",
    "UsageError",
    "add_address_options",
    "add_run_options",
    "listing",
    "non_negative_float",
    "positive_float",
    "port_arg",
    "positive_int",
    "size_arg",
    "with_address",
]
