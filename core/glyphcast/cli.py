"""The ``glyphcast`` command: ``run``, ``plugins``, ``--version``, and the commands installed plugins add.

Plugins add commands through the ``register_commands`` hook
(:mod:`glyphcast.hookspecs`); this module knows none of them by name, and a
command whose plugin is not installed is not there. What commands are built
from is public: :mod:`glyphcast.commandline` (exit statuses, usage errors,
argument types) and :mod:`glyphcast.play` (the run loop).

Exit status: 0 when a run ends by itself (frames, duration, end of source),
2 for a usage error (unknown name, bad option or value, a display that refuses
to work here), 1 when a display could not start (a port in use, a bad
certificate) or every display failed, 130 after Ctrl-C and 143 after
SIGTERM (128 + the signal number, as shells report it). Every way out stops
the run cleanly and calls ``cleanup()`` on every display. A source with an
exit status of its own (a shared program) passes it on.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Any, NoReturn, TextIO

from glyphcast import __version__
from glyphcast.commandline import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Parser,
    UsageError,
    add_run_options,
    listing,
    non_negative_float,
    with_address,
)
from glyphcast.display import DisplayError
from glyphcast.logs import escape
from glyphcast.options import OptionError
from glyphcast.play import default_displays, play
from glyphcast.plugins import Command, PluginWarning, Registry, get_registry

log = logging.getLogger("glyphcast")

#: Core's own commands; a plugin cannot take their names.
CORE_COMMANDS = ("run", "plugins")


def installed_versions() -> list[tuple[str, str]]:
    """glyphcast's version first, then every distribution registering ``glyphcast`` entry
    points (the plugins), by name. Read from the metadata alone: a plugin that fails to
    import still shows what is installed."""
    plugins: dict[str, str] = {}
    for entry_point in entry_points(group="glyphcast"):
        dist = entry_point.dist
        if dist is not None and dist.name != "glyphcast":
            plugins.setdefault(dist.name, dist.version)
    return [("glyphcast", __version__), *sorted(plugins.items())]


class VersionAction(argparse.Action):
    """``--version``: one ``name version`` line per installed distribution (argparse's own
    version action would reflow the lines into one)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        sys.stdout.write("".join(f"{name} {version}\n" for name, version in installed_versions()))
        parser.exit(EXIT_OK)


class MainParser(Parser):
    """The top-level parser: an unknown command also says where commands come from."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("argument COMMAND: invalid choice"):
            message += "; plugins add commands once installed (glyphcast plugins lists what is)"
        super().error(message)


RUN_EXAMPLES = """\
examples:
  glyphcast run                                  the demo on the default display
  glyphcast run --display terminal --frames 90   90 demo frames on this terminal
  glyphcast run --display terminal --display memory --frames 90   two displays side by side
  glyphcast run --port 9000                      the demo to the browser viewer on port 9000
  glyphcast run --source demo:seed=7 --size 100x30 --fps 60 --duration 10
"""


def build_parser(registry: Registry) -> Parser:
    """``run`` and ``plugins``, with every installed plugin's command between them."""
    listed = listing(registry)
    parser = MainParser(
        prog="glyphcast",
        description="One stream of text frames, carried side by side to browsers, recordings, "
        "terminals and plugins.",
        epilog=f"{listed}\n\nRun `glyphcast COMMAND --help` for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action=VersionAction,
        help="print glyphcast's version and every installed plugin distribution's, one per line, and exit",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    run = commands.add_parser(
        "run",
        help="play a source (the demo by default) on one or more displays",
        description="Play a source on one or more displays side by side.",
        epilog=f"{RUN_EXAMPLES}\n{listed}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--source", default="demo", metavar="NAME[:k=v,...]", help="where frames come from (default: demo)"
    )
    add_run_options(run, default_display=default_displays(registry)[0])
    run.add_argument(
        "--linger",
        type=non_negative_float,
        default=0.0,
        metavar="S",
        help="when the source ends, keep showing its last screen to viewers for S seconds (default 0)",
    )

    for command in sorted(registry.commands.values(), key=lambda c: c.name):
        _add_command(commands, command)

    plugins = commands.add_parser(
        "plugins",
        help="list installed plugins: version, what they register, hooks, and skipped ones",
        description="List every glyphcast plugin: version, displays/sources/codecs/commands it registers, "
        "the hooks it implements, and plugins that were skipped (with why).",
    )
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _add_command(commands: Any, command: Command) -> None:
    """A plugin's command as a subcommand. Its arguments are declared on a parser of their own first,
    so a ``configure`` that raises leaves nothing half-added: the command is left out, naming its plugin."""
    if command.name in CORE_COMMANDS:
        log.warning(
            "plugin %r registers command %r, which is glyphcast's own; ignored", command.plugin, command.name
        )
        return
    declared = Parser(prog=f"glyphcast {command.name}", add_help=False)
    try:
        command.configure(declared)
    except Exception as error:  # noqa: BLE001 - a plugin may raise anything; it is named and its command skipped
        log.warning(
            "plugin %r: command %r was skipped: its arguments raised %s: %s",
            command.plugin,
            command.name,
            type(error).__name__,
            error,
        )
        return
    commands.add_parser(
        command.name,
        parents=[declared],
        help=command.help or None,
        description=declared.description,
        epilog=declared.epilog,
        formatter_class=declared.formatter_class,
    )


# -- commands ------------------------------------------------------------------
def cmd_plugins(registry: Registry, as_json: bool, out: TextIO) -> int:
    infos = sorted(registry.plugins.values(), key=lambda p: (p.name != "glyphcast", p.name))
    if as_json:
        json.dump([info.as_dict() for info in infos], out, indent=2)
        out.write("\n")
        return EXIT_OK
    for info in infos:
        out.write(f"{info.name} {info.version}  ({info.module})\n")
        if info.error is not None:
            out.write(f"  SKIPPED   {info.error}\n")
            continue
        for label, names in (
            ("displays", info.displays),
            ("sources", info.sources),
            ("codecs", info.codecs),
            ("commands", info.commands),
            ("hooks", info.hooks),
        ):
            if names:
                out.write(f"  {label:<9} {', '.join(names)}\n")
    return EXIT_OK


def cmd_run(args: argparse.Namespace, registry: Registry) -> int:
    return play(
        args.source,
        with_address(args.display or default_displays(registry), registry, args.host, args.port),
        size=args.size,
        fps=args.fps,
        frames=args.frames,
        duration=args.duration,
        linger=args.linger,
    )


def _quiet_plugin_warnings() -> None:
    """Skipped plugins are logged (one line each, naming the plugin); don't repeat them as warnings."""
    warnings.filterwarnings("ignore", category=PluginWarning)
    if not logging.getLogger().handlers:
        # Log lines quote what clients, Redis and recordings sent, and stderr may be the sharer's own
        # terminal: the handler escapes every control character a call site left in (glyphcast.logs).
        from glyphcast.logs import stderr_handler

        logging.basicConfig(level=logging.WARNING, handlers=[stderr_handler()])


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``glyphcast`` command; returns the exit status."""
    _quiet_plugin_warnings()
    registry = get_registry()
    parser = build_parser(registry)
    args = parser.parse_args(argv)
    try:
        if args.command == "plugins":
            return cmd_plugins(registry, args.json, sys.stdout)
        if args.command == "run":
            return cmd_run(args, registry)
        return registry.commands[args.command].run(args)
    except (OptionError, DisplayError, UsageError) as error:
        print(f"glyphcast: error: {escape(error)}", file=sys.stderr)  # may quote a file or a server
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C before the run started (while opening displays)
        return EXIT_INTERRUPTED
