"""``glyphcast replay FILE``: a recording played on displays, a shortcut for
``glyphcast run --source replay:path=FILE,...``.

Registered through the ``register_commands`` hook (see plugin.py); the run is
core's :func:`glyphcast.play.play`.
"""

from __future__ import annotations

import argparse
from typing import Any

from glyphcast.commandline import add_run_options, listing, non_negative_float, positive_float, with_address
from glyphcast.play import default_displays, play
from glyphcast.plugins import get_registry

HELP = "play an asciicast recording on displays"
SIZE_HELP = (
    "not used: a recording is played at its own size (its header, then its resize events), the size "
    "its output was laid out for; a different WxH is refused, since cropping would cut its cursor moves"
)
FPS_HELP = "not used: a recording plays at its own timing; use --speed to play it faster or slower"
LINGER_HELP = (
    "when the recording ends, keep showing its last screen to viewers for S seconds "
    "(default: until Ctrl-C when run from a terminal, else 0)"
)
EXAMPLES = """\
examples:
  glyphcast replay demo.cast --display terminal
  glyphcast replay talk.cast --speed 2 --idle-time-limit 1 --loop
  glyphcast replay talk.cast --port 9000          to the browser viewer on port 9000
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """``replay``'s arguments: the file, how to play it, and ``run``'s display options."""
    registry = get_registry()
    parser.description = (
        "Play an asciicast v1/v2/v3 recording on displays: "
        "a shortcut for `run --source replay:path=FILE,...`."
    )
    parser.epilog = f"{EXAMPLES}\n{listing(registry)}"
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("file", metavar="FILE", help="the recording (.cast)")
    parser.add_argument("--speed", type=positive_float, help="playback speed factor (default 1)")
    parser.add_argument("--loop", action="store_true", help="start again at the end")
    parser.add_argument(
        "--idle-time-limit", type=positive_float, metavar="S", help="shorten pauses longer than S seconds"
    )
    add_run_options(parser, SIZE_HELP, FPS_HELP, default_display=default_displays(registry)[0])
    parser.add_argument("--linger", type=non_negative_float, metavar="S", help=LINGER_HELP)


def run(args: argparse.Namespace) -> int:
    """Play ``args.file``; the exit status is ``run``'s."""
    options: dict[str, Any] = {"path": args.file}
    if args.speed is not None:
        options["speed"] = args.speed
    if args.loop:
        options["loop"] = True
    if args.idle_time_limit is not None:
        options["idle_time_limit"] = args.idle_time_limit
    registry = get_registry()
    return play(
        "replay",
        with_address(args.display or default_displays(registry), registry, args.host, args.port),
        size=args.size,
        fps=args.fps,
        frames=args.frames,
        duration=args.duration,
        source_options=options,
        linger=args.linger,
    )
