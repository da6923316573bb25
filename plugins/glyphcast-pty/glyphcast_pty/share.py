"""``glyphcast share -- COMMAND``: a program in a pty, used in this terminal and watched in browsers.

Registered through the ``register_commands`` hook (see plugin.py); the run
itself is core's :func:`glyphcast.play.play` with the ``pty`` source attached
to this terminal.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from glyphcast.commandline import (
    UsageError,
    add_address_options,
    non_negative_float,
    positive_float,
    size_arg,
    with_address,
)
from glyphcast.options import parse_spec
from glyphcast.play import play
from glyphcast.plugins import get_registry

EXIT_NOT_EXECUTABLE = 126
EXIT_NOT_FOUND = 127

HELP = "share a terminal program: you use it here, viewers watch in browsers"
DESCRIPTION = """\
Run COMMAND in a pseudo-terminal and share it as a stream.

You keep using it in this terminal as if glyphcast were not there: every key, Ctrl-C
included, goes to it, and your window size is followed. Viewers watch read-only; whoever
holds the control link may type into it (share that link like a password). glyphcast
exits with the program's status. The program does not inherit glyphcast's tokens
(GLYPHCAST_*TOKEN* variables)."""
EXAMPLES = """\
examples:
  glyphcast share -- bash                        your shell, to the browser viewer on :8765
  glyphcast share --display websocket --display record:path=session.cast -- vim notes.txt
  glyphcast share --port 9000 --display websocket:control=false -- htop    on port 9000; nobody may type into it
"""
SIZE_HELP = (
    "the stream's size when stdin is not a terminal (default 80x24); from a terminal, the stream "
    "has your window's size and follows it"
)


def configure(parser: argparse.ArgumentParser) -> None:
    """``share``'s arguments."""
    parser.description = DESCRIPTION
    parser.epilog = EXAMPLES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--display",
        action="append",
        metavar="NAME[:k=v,...]",
        help="where to show it; repeat for several (default: websocket, the browser viewer)",
    )
    add_address_options(parser)
    parser.add_argument("--size", type=size_arg, metavar="WxH", help=SIZE_HELP)
    parser.add_argument(
        "--fps",
        type=positive_float,
        default=30.0,
        help="at most this many frames per second (default 30); a quiet screen is shown at once",
    )
    parser.add_argument(
        "--linger",
        type=non_negative_float,
        metavar="S",
        help="when the program exits, keep showing its last screen to viewers for S seconds "
        "(default: until Ctrl-C when run from a terminal, else 0)",
    )
    parser.add_argument(
        "program",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND [ARGS...]",
        help="the program and its arguments (everything after the first name is its own)",
    )


def run(args: argparse.Namespace) -> int:
    """Share ``args.program``; the exit status is the program's (127/126 when it cannot be started)."""
    command = args.program[1:] if args.program[:1] == ["--"] else args.program
    if not command:
        raise UsageError("share needs a program to run: glyphcast share -- COMMAND [ARGS...]")
    registry = get_registry()
    if args.display:
        displays = args.display
    elif "websocket" in registry.displays:
        displays = ["websocket"]
    else:
        raise UsageError(
            "share shows the program in browsers with glyphcast-websocket, which is not installed: "
            "pip install glyphcast-websocket (or choose displays: --display record:path=FILE)"
        )
    if any(parse_spec(spec)[0] == "terminal" for spec in displays):
        raise UsageError(
            "the terminal display would draw over the program you are using in this terminal; "
            "share with --display websocket (the default) or record:path=FILE"
        )
    displays = with_address(displays, registry, args.host, args.port)
    from_terminal = sys.stdin.isatty()
    if from_terminal and args.size is not None:
        raise UsageError(
            "--size does not apply when sharing from a terminal: the stream has your window's size "
            "and follows it; leave --size out"
        )
    # Found as the program will be (PATH), and said as a shell says it: one line, 127 (126 if not executable).
    if shutil.which(command[0]) is None:
        if os.sep in command[0] and os.path.exists(command[0]):
            print(
                f"glyphcast: error: {command[0]}: permission denied (not an executable file)", file=sys.stderr
            )
            return EXIT_NOT_EXECUTABLE
        print(f"glyphcast: error: {command[0]}: command not found", file=sys.stderr)
        return EXIT_NOT_FOUND
    return play(
        "pty",
        displays,
        # From a terminal the program takes the window's size itself (and follows it).
        size=None if from_terminal else args.size or (80, 24),
        fps=args.fps,
        frames=None,
        duration=None,
        source_options={"command": command, "attach": True},
        linger=args.linger,
    )
