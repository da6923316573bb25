"""What every ``glyphcast`` subcommand's command line is made of: exit statuses, usage errors,
argument types, the run options and the listing of installed displays and sources.

Core's ``run`` uses these, and so do the commands plugins add through the
``register_commands`` hook, so that every command reads and fails the same way.
"""

from __future__ import annotations

import argparse
import signal
from typing import Any, NoReturn

from glyphcast.options import option_names
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


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
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
    """``--display`` (repeatable), ``--size``, ``--fps`` and ``--frames``/``--duration``, as ``run`` has them.

    The values are what :func:`glyphcast.play.play` takes; ``--display`` is None
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
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "MAX_SIDE",
    "Parser",
    "UsageError",
    "add_run_options",
    "listing",
    "non_negative_float",
    "positive_float",
    "positive_int",
    "size_arg",
]
