"""``glyphcast serve --stream NAME=SOURCE ...``: several sources at once, each its own named stream on one port.

Registered through the ``register_commands`` hook (see plugin.py). Each stream
runs on a thread of its own, built from the parts of core's
:func:`glyphcast.play.play`. Each stream has its own control token, so whoever
controls one does not control the others: a random one per stream (each
printed with its stream), or one read from a file per stream
(``--control-token-file NAME=PATH``). One token for several streams, from
``GLYPHCAST_CONTROL_TOKEN`` or a ``--display`` option, is refused.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from glyphcast import open_displays
from glyphcast.clock import MONOTONIC, Clock
from glyphcast.commandline import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    UsageError,
    add_address_options,
    listing,
    positive_float,
    size_arg,
    with_address,
)
from glyphcast.logs import escape
from glyphcast.options import bind_options, option_names, parse_spec
from glyphcast.play import (
    Terminated,
    close_source,
    controlled_by_clients,
    end_stream,
    open_source_spec,
    raise_terminated,
    start_displays,
)
from glyphcast.plugins import get_registry
from glyphcast.runner import Runner
from glyphcast.source import Source
from glyphcast.stream import Stream

from glyphcast_websocket import tokens

log = logging.getLogger("glyphcast")

HELP = "several sources at once, each its own named stream on one port"
DESCRIPTION = """\
Serve several sources side by side on one port: stream NAME's viewer is at /s/NAME/,
and / lists them. Runs until Ctrl-C (or --duration); a stream whose source ends keeps
showing its last screen. Each stream has a control link of its own: a random token per
stream, or one per stream from --control-token-file. One token for several streams
(GLYPHCAST_CONTROL_TOKEN, control_token in --display) is refused: whoever had it would
control them all."""
EXAMPLES = """\
examples:
  glyphcast serve --stream demo=demo --stream talk=replay:path=talk.cast
  glyphcast serve --stream a=demo:seed=1 --stream b=demo:seed=2 --port 9000
  glyphcast serve --stream a=demo --stream b=demo --control-token-file a=a.token --control-token-file b=b.token
"""


def parse_stream(text: str) -> tuple[str, str]:
    """``NAME=SOURCE[:k=v,...]`` for ``serve --stream``."""
    name, eq, spec = text.partition("=")
    if not eq or not name or not spec:
        raise argparse.ArgumentTypeError(
            f"expected NAME=SOURCE like demo=demo or talk=replay:path=talk.cast, got {text!r}"
        )
    return name.strip(), spec.strip()


def parse_token_file(text: str) -> tuple[str, Path]:
    """``NAME=PATH`` for ``serve --control-token-file``."""
    name, eq, path = text.partition("=")
    if not eq or not name.strip() or not path.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=PATH like talk=talk.token, got {text!r}")
    return name.strip(), Path(path.strip())


def configure(parser: argparse.ArgumentParser) -> None:
    """``serve``'s arguments."""
    parser.description = DESCRIPTION
    parser.epilog = f"{EXAMPLES}\n{listing(get_registry())}"
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--stream",
        action="append",
        type=parse_stream,
        required=True,
        metavar="NAME=SOURCE",
        help="a stream and its source (NAME: a-z, 0-9, - and _); repeat for each stream",
    )
    parser.add_argument(
        "--display",
        action="append",
        metavar="NAME[:k=v,...]",
        help="where every stream is served (default: websocket); each stream gets stream=NAME",
    )
    add_address_options(parser)
    parser.add_argument(
        "--control-token-file",
        action="append",
        type=parse_token_file,
        default=[],
        metavar="NAME=PATH",
        help="stream NAME's control token, on the first line of PATH "
        "(default: a random one per stream, printed with its stream's control link)",
    )
    parser.add_argument(
        "--size", type=size_arg, metavar="WxH", help="frame size of sources that take one (default 80x24)"
    )
    parser.add_argument("--fps", type=positive_float, default=30.0, help="frames per second (default 30)")
    parser.add_argument("--duration", type=positive_float, metavar="S", help="stop serving after S seconds")


def run(args: argparse.Namespace) -> int:
    displays = with_address(args.display or ["websocket"], get_registry(), args.host, args.port)
    return serve(
        args.stream,
        displays,
        size=args.size,
        fps=args.fps,
        duration=args.duration,
        control_token_files=dict(args.control_token_file),
    )


def _check_control_tokens(
    names: Sequence[str], display_specs: Sequence[str], control_token_files: dict[str, Path]
) -> None:
    """Refuse what would give several streams one control token: whoever controls one would control them all."""
    unknown = sorted(set(control_token_files) - set(names))
    if unknown:
        raise UsageError(
            f"--control-token-file names no --stream: {', '.join(unknown)} "
            f"(the streams are {', '.join(names)})"
        )
    sharing = [name for name in names if name not in control_token_files]
    if len(sharing) < 2:
        return
    registry = get_registry()
    for spec in display_specs:
        name, options = parse_spec(spec)
        entry = registry.displays.get(name)
        if entry is None or "control_token" not in option_names(entry.factory):
            continue
        bound = bind_options(entry.factory, options, what=f"display {name!r}")
        if bound.get("control") is False:
            continue
        given = next((key for key in ("control_token", "control_token_file") if bound.get(key)), None)
        shared = (
            f"{given} in --display {name}"
            if given
            else tokens.CONTROL_ENV
            if os.environ.get(tokens.CONTROL_ENV, "").strip()
            else None
        )
        if shared:
            raise UsageError(
                f"{shared} would give streams {', '.join(sharing)} one control token, and whoever controls one "
                "would control them all: give each stream its own (--control-token-file NAME=PATH), or leave "
                "it out for a random control link per stream"
            )


def serve(
    streams: Sequence[tuple[str, str]],
    display_specs: Sequence[str],
    *,
    size: tuple[int, int] | None,
    fps: float,
    duration: float | None,
    control_token_files: dict[str, Path] | None = None,
    clock: Clock = MONOTONIC,
) -> int:
    """Several sources, each its own named stream on the same displays' port; the exit status.

    Each stream runs on a thread of its own; one that ends keeps serving its
    last screen (with ``end``) until the server stops: Ctrl-C, SIGTERM or ``duration`` seconds of ``clock``.
    """
    names = [name for name, _ in streams]
    if len(set(names)) != len(names):
        raise UsageError(f"each --stream needs its own name; got {', '.join(names)}")
    control_token_files = control_token_files or {}
    registry = get_registry()
    for spec in display_specs:
        name = parse_spec(spec)[0]
        entry = registry.displays.get(name)
        if entry is not None and "stream" not in option_names(entry.factory):
            raise UsageError(
                f"display {name!r} cannot carry named streams (it has no 'stream' option); "
                "serve needs a display like websocket"
            )
    _check_control_tokens(names, display_specs, control_token_files)
    err = sys.stderr
    size = size or (80, 24)
    sources: list[Source] = []
    lanes: list[tuple[str, Source, Stream]] = []
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    code = EXIT_OK
    runners: list[Runner] = []
    threads: list[threading.Thread] = []
    try:
        bound: list[dict[str, Any]] = [{} for _ in display_specs]
        for name, spec in streams:
            sources.append(open_source_spec(spec, size, fps))
            stream = open_displays(
                [
                    (
                        display,
                        {**bound[i], "stream": name, **_own_token(display, control_token_files.get(name))},
                    )
                    for i, display in enumerate(display_specs)
                ]
            )
            lanes.append((name, sources[-1], stream))
            if not start_displays(stream, sources[-1].width, sources[-1].height, err):
                return EXIT_FAILED
            # port=0 picks a free port once: the next streams join that server, not new ones.
            for i, attached in enumerate(stream.displays):
                if parse_spec(display_specs[i])[1].get("port") == "0":
                    bound[i]["port"] = getattr(attached.display, "port", 0)
        _print_index(lanes, err)
        with ExitStack() as controls:
            for name, source, stream in lanes:
                runner = Runner(source, stream, fps=fps)
                runners.append(runner)
                controls.enter_context(controlled_by_clients(runner, stream=name))
                threads.append(
                    threading.Thread(
                        target=_serve_lane,
                        args=(runner, source, stream),
                        name=f"glyphcast-stream-{name}",
                        daemon=True,
                    )
                )
            for thread in threads:
                thread.start()
            clock.wait(duration)
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except Terminated:
        code = EXIT_TERMINATED
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for runner in runners:
            runner.stop()
        for source in sources:  # a source blocked waiting for output (a quiet program) wakes up closed
            close_source(source)
        for thread in threads:
            thread.join(5)
        for _, _, stream in lanes:
            stream.cleanup()
        signal.signal(signal.SIGTERM, previous)
    return code


def _print_index(lanes: Sequence[tuple[str, Source, Stream]], err: TextIO) -> None:
    """Where each server lists its streams (its ``/``, under which every stream has its page), once per server."""
    shown: set[str] = set()
    for name, _, stream in lanes:
        for attached in stream.displays:
            page = getattr(attached.display, "page_url", None)
            if not isinstance(page, str):
                continue
            index = page.removesuffix(f"s/{name}/")
            if index not in shown:
                shown.add(index)
                print(
                    f"glyphcast: {attached.name}: the streams are listed at {escape(index)}",
                    file=err,
                    flush=True,
                )


def _own_token(display_spec: str, path: Path | None) -> dict[str, Any]:
    """A stream's own control token file, for a display that takes control tokens (it replaces the spec's)."""
    entry = get_registry().displays.get(parse_spec(display_spec)[0])
    if path is None or entry is None or "control_token_file" not in option_names(entry.factory):
        return {}
    return {"control_token": "", "control_token_file": path}


def _serve_lane(runner: Runner, source: Source, stream: Stream) -> None:
    try:
        stats = runner.run()
    except Exception:  # noqa: BLE001 - one stream's failure is logged; the others go on serving
        log.exception("stream of %s failed", type(source).__name__)
        stream.end("the source failed")
        return
    if stats.ended == "source":
        end_stream(source, stream)
