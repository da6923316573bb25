"""The ``glyphcast`` command: ``run``, ``replay``, ``serve``, ``share`` and ``plugins``.

Exit status: 0 when a run ends by itself (frames, duration, end of source),
2 for a usage error (unknown name, bad option or value, a display that refuses
to work here), 1 when a display could not start (a port in use, a bad
certificate) or every display failed, 130 after Ctrl-C and 143 after
SIGTERM (128 + the signal number, as shells report it). Every way out stops
the run cleanly and calls ``cleanup()`` on every display. ``share`` exits with
the shared program's status, and 127 when its command does not exist (as a shell).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from importlib.metadata import entry_points
from types import FrameType
from typing import Any, NoReturn, TextIO

from glyphcast import __version__, open_displays
from glyphcast.clients import ClientInfo
from glyphcast.display import DisplayError
from glyphcast.hookspecs import hookimpl
from glyphcast.options import OptionError, option_names, parse_spec
from glyphcast.plugins import PluginWarning, Registry, get_registry, open_source
from glyphcast.runner import Runner, RunStats
from glyphcast.source import Source
from glyphcast.stream import Stream

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM
MAX_SIDE = 1000  # the wire protocol's limit for a resize; no display needs more
REPLAY_PACKAGE = "glyphcast-record"
SHARE_PACKAGE = "glyphcast-pty"
EXIT_NOT_EXECUTABLE = 126
EXIT_NOT_FOUND = 127

log = logging.getLogger("glyphcast")


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt, so no display's
    ``except Exception`` mistakes it for its own failure."""


class UsageError(Exception):
    """A mistake in the command line; the message is printed as one line and the exit status is 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with errors on one line (usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# -- argument types ------------------------------------------------------------
def size_arg(text: str) -> tuple[int, int]:
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


# -- the parser ----------------------------------------------------------------
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

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        sys.stdout.write("".join(f"{name} {version}\n" for name, version in installed_versions()))
        parser.exit(EXIT_OK)


def _listing(registry: Registry) -> str:
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


RUN_EXAMPLES = """\
examples:
  glyphcast run                                  the demo on the default display
  glyphcast run --display terminal --frames 90   90 demo frames on this terminal
  glyphcast run --display websocket:port=8000 --display record:path=demo.cast
  glyphcast run --source demo:seed=7 --size 100x30 --fps 60 --duration 10
"""


RUN_SIZE_HELP = (
    "frame size in cells (default 80x24; on the terminal display, the terminal's size less one line); "
    "refused for a source that keeps its own size (a recording)"
)
REPLAY_SIZE_HELP = (
    "not used: a recording is played at its own size (its header, then its resize events), the size "
    "its output was laid out for; a different WxH is refused, since cropping would cut its cursor moves"
)


LINGER_HELP = (
    "when the recording ends, keep showing its last screen to viewers for S seconds "
    "(default: until Ctrl-C when run from a terminal, else 0)"
)
SERVE_EXAMPLES = """\
examples:
  glyphcast serve --stream demo=demo --stream talk=replay:path=talk.cast
  glyphcast serve --stream a=demo:seed=1 --stream b=demo:seed=2 --display websocket:port=9000
"""


SHARE_EXAMPLES = """\
examples:
  glyphcast share -- bash                        your shell, to the browser viewer on :8765
  glyphcast share --display websocket --display record:path=session.cast -- vim notes.txt
  glyphcast share --display websocket:port=9000,control=false -- htop    nobody may type into it
"""
SHARE_SIZE_HELP = (
    "the stream's size when stdin is not a terminal (default 80x24); from a terminal, the stream "
    "has your window's size and follows it"
)


RUN_FPS_HELP = "frames per second (default 30); a recording keeps its own timing (see replay --speed)"
REPLAY_FPS_HELP = "not used: a recording plays at its own timing; use --speed to play it faster or slower"


def _add_run_options(
    parser: argparse.ArgumentParser, size_help: str = RUN_SIZE_HELP, fps_help: str = RUN_FPS_HELP
) -> None:
    parser.add_argument(
        "--display",
        action="append",
        metavar="NAME[:k=v,...]",
        help="a display to show the stream on; repeat for several side by side "
        "(default: websocket if installed, else terminal)",
    )
    parser.add_argument("--size", type=size_arg, metavar="WxH", help=size_help)
    parser.add_argument("--fps", type=positive_float, default=30.0, help=fps_help)
    limit = parser.add_mutually_exclusive_group()
    limit.add_argument("--frames", type=positive_int, metavar="N", help="stop after N frames")
    limit.add_argument("--duration", type=positive_float, metavar="S", help="stop after S seconds")


def build_parser(registry: Registry) -> Parser:
    listing = _listing(registry)
    parser = Parser(
        prog="glyphcast",
        description="One stream of text frames, carried side by side to browsers, recordings, "
        "terminals and plugins.",
        epilog=f"{listing}\n\nRun `glyphcast COMMAND --help` for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=VersionAction, help="print glyphcast's version and every "
                        "installed plugin distribution's, one per line, and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    run = commands.add_parser(
        "run",
        help="play a source (the demo by default) on one or more displays",
        description="Play a source on one or more displays side by side.",
        epilog=f"{RUN_EXAMPLES}\n{listing}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--source", default="demo", metavar="NAME[:k=v,...]", help="where frames come from "
                     "(default: demo)")
    _add_run_options(run)
    run.add_argument("--linger", type=non_negative_float, default=0.0, metavar="S",
                     help="when the source ends, keep showing its last screen to viewers for S seconds (default 0)")

    replay = commands.add_parser(
        "replay",
        help="play an asciicast recording on displays (needs glyphcast-record)",
        description="Play an asciicast v1/v2/v3 recording on displays: "
        "a shortcut for `run --source replay:path=FILE,...`.",
        epilog="examples:\n  glyphcast replay demo.cast --display terminal\n"
        "  glyphcast replay talk.cast --speed 2 --idle-time-limit 1 --loop\n\n" + listing,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    replay.add_argument("file", metavar="FILE", help="the recording (.cast)")
    replay.add_argument("--speed", type=positive_float, help="playback speed factor (default 1)")
    replay.add_argument("--loop", action="store_true", help="start again at the end")
    replay.add_argument("--idle-time-limit", type=positive_float, metavar="S",
                        help="shorten pauses longer than S seconds")
    _add_run_options(replay, REPLAY_SIZE_HELP, REPLAY_FPS_HELP)

    replay.add_argument("--linger", type=non_negative_float, metavar="S", help=LINGER_HELP)

    serve = commands.add_parser(
        "serve",
        help="several sources at once, each its own named stream on one port",
        description="Serve several sources side by side on one port: stream NAME's viewer is at /s/NAME/, "
        "and / lists them. Runs until Ctrl-C (or --duration); a stream whose source ends keeps "
        "showing its last screen.",
        epilog=f"{SERVE_EXAMPLES}\n{listing}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--stream", action="append", type=parse_stream, required=True, metavar="NAME=SOURCE",
                       help="a stream and its source (NAME: a-z, 0-9, - and _); repeat for each stream")
    serve.add_argument("--display", action="append", metavar="NAME[:k=v,...]",
                       help="where every stream is served (default: websocket); each stream gets stream=NAME")
    serve.add_argument("--size", type=size_arg, metavar="WxH", help="frame size of sources that take one (default 80x24)")
    serve.add_argument("--fps", type=positive_float, default=30.0, help="frames per second (default 30)")
    serve.add_argument("--duration", type=positive_float, metavar="S", help="stop serving after S seconds")

    share = commands.add_parser(
        "share",
        help="share a terminal program: you use it here, viewers watch in browsers (needs glyphcast-pty)",
        description="Run COMMAND in a pseudo-terminal and share it as a stream.\n\n"
        "You keep using it in this terminal as if glyphcast were not there: every key, Ctrl-C\n"
        "included, goes to it, and your window size is followed. Viewers watch read-only; whoever\n"
        "holds the control link may type into it (share that link like a password). glyphcast\n"
        "exits with the program's status.",
        epilog=SHARE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    share.add_argument("--display", action="append", metavar="NAME[:k=v,...]",
                       help="where to show it; repeat for several (default: websocket, the browser viewer)")
    share.add_argument("--size", type=size_arg, metavar="WxH", help=SHARE_SIZE_HELP)
    share.add_argument("--fps", type=positive_float, default=30.0,
                       help="at most this many frames per second (default 30); a quiet screen is shown at once")
    share.add_argument("--linger", type=non_negative_float, metavar="S",
                       help="when the program exits, keep showing its last screen to viewers for S seconds "
                       "(default: until Ctrl-C when run from a terminal, else 0)")
    share.add_argument("program", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARGS...]",
                       help="the program and its arguments (everything after the first name is its own)")

    plugins = commands.add_parser(
        "plugins",
        help="list installed plugins: version, what they register, hooks, and skipped ones",
        description="List every glyphcast plugin: version, displays/sources/codecs it registers, "
        "the hooks it implements, and plugins that were skipped (with why).",
    )
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


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
            ("hooks", info.hooks),
        ):
            if names:
                out.write(f"  {label:<9} {', '.join(names)}\n")
    return EXIT_OK


def _default_displays(registry: Registry) -> list[str]:
    return ["websocket" if "websocket" in registry.displays else "terminal"]


def _default_size(displays: Sequence[str]) -> tuple[int, int]:
    uses_terminal = any(parse_spec(spec)[0] == "terminal" for spec in displays)
    if uses_terminal and sys.stdout.isatty():
        columns, lines = shutil.get_terminal_size((80, 24))
        # One line less than the terminal: the shell prompt gets the last line afterwards
        # without scrolling the frame's first row away.
        return max(1, min(columns, MAX_SIDE)), max(1, min(lines - 1, MAX_SIDE))
    return 80, 24


def _open_source(spec: str, size: tuple[int, int], fps: float, extra: dict[str, Any] | None = None) -> Source:
    name, spec_options = parse_spec(spec)
    options: dict[str, Any] = {**spec_options, **(extra or {})}
    entry = get_registry().sources.get(name)
    # A source with a clock of its own (the demo) keeps time at the run's --fps unless told otherwise.
    if entry is not None and "fps" in option_names(entry.factory) and "fps" not in options:
        options["fps"] = fps
    try:
        return open_source(name, size[0], size[1], **options)
    except (OptionError, DisplayError):
        raise
    except (TypeError, ValueError, OSError) as error:
        raise UsageError(f"source {name!r}: {error}") from error


class StatusLine:
    """One line on stderr, rewritten about twice a second: fps, frames, each display's state."""

    def __init__(self, stream: Stream, out: TextIO, interval: float = 0.5) -> None:
        self.stream = stream
        self.out = out
        self.interval = interval
        self._last = 0.0
        self.shown = False

    def __call__(self, stats: RunStats) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        self.write(stats)

    def write(self, stats: RunStats) -> None:
        text = f"{stats.fps:5.1f} fps  {stats.frames} frames  {self.stream.status()}"
        width = shutil.get_terminal_size((80, 24)).columns - 1
        self.out.write("\r\x1b[K" + text[:width])
        self.out.flush()
        self.shown = True

    def finish(self, stats: RunStats) -> None:
        if self.shown:
            self.write(stats)
            self.out.write("\n")
            self.out.flush()


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def play(
    source_spec: str,
    display_specs: Sequence[str],
    *,
    size: tuple[int, int] | None,
    fps: float,
    frames: int | None,
    duration: float | None,
    source_options: dict[str, Any] | None = None,
    linger: float | None = 0.0,
) -> int:
    """The body of ``run``, ``replay`` and ``share``: open everything, run, clean up whatever happens.

    When the source ends by itself, displays are told (viewers get ``end``) and
    keep serving the last screen for ``linger`` seconds (None: until Ctrl-C
    when interactive); the exit status is then the source's ``exit_status``.
    """
    asked = size
    size = size or _default_size(display_specs)
    source = _open_source(source_spec, size, fps, source_options)
    if asked is not None and (source.width, source.height) != asked:
        _close_source(source)
        raise UsageError(
            f"--size {asked[0]}x{asked[1]} does not apply: source {parse_spec(source_spec)[0]!r} keeps its own size "
            f"{source.width}x{source.height} (a recording is played at the size its output was laid out for); "
            "leave --size out"
        )
    try:
        stream = open_displays(display_specs)
    except BaseException:  # a bad display option: the source (a started program) must not outlive the run
        _close_source(source)
        raise
    err = sys.stderr
    # The terminal display draws on this terminal: a status line there would scribble over it.
    # So does a shared program (glyphcast share): its owner is using it in this terminal.
    draws_here = (
        any(name == "terminal" for name in (a.name for a in stream.displays)) and sys.stdout.isatty()
    ) or bool(getattr(source, "draws_on_terminal", False))
    status = StatusLine(stream, err) if err.isatty() and not draws_here else None
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    code = EXIT_OK
    runner: Runner | None = None
    try:
        if not _start(stream, source.width, source.height, err):
            return EXIT_FAILED
        runner = Runner(source, stream, fps=fps, frames=frames, duration=duration, tick=status)
        with _controlled_by_clients(runner):
            stats = runner.run()
        if stats.ended == "source":
            if status is not None:
                status.finish(stats)
                status = None
            code = _end(source, stream)
            _linger(stream, linger, err)
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except Terminated:
        code = EXIT_TERMINATED
    finally:
        # A second SIGTERM must not cut cleanup short: the terminal would stay without a cursor.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if status is not None and runner is not None:
            status.finish(runner.stats)
        stream.cleanup()
        signal.signal(signal.SIGTERM, previous)
        _close_source(source)
    return code


def _start(stream: Stream, width: int, height: int, err: TextIO) -> bool:
    """Start every display at the source's size and say where they serve; False (and why) if any failed."""
    stream.init(width, height)
    if stream.displays and not any(a.active for a in stream.displays):
        print(f"glyphcast: error: every display failed: {stream.status()}", file=err)
        return False
    failed = [a for a in stream.displays if not a.active]
    for attached in failed:
        print(f"glyphcast: error: display {attached.name!r} could not start: {attached.error}", file=err)
    if failed:
        return False
    _print_addresses(stream, err)
    return True


def _end(source: Source, stream: Stream) -> int:
    """The source ended by itself: viewers are told why (they stop instead of reconnecting to nothing);
    the source's exit status (a shared program's) is the run's."""
    stream.end(getattr(source, "end_reason", None) or "the source ended")
    exit_status = getattr(source, "exit_status", None)
    return exit_status if isinstance(exit_status, int) else EXIT_OK


def _serves_viewers(stream: Stream) -> bool:
    return any(getattr(a.display, "url", None) for a in stream.displays if a.active)


def _linger(stream: Stream, linger: float | None, err: TextIO) -> None:
    """After an end, keep serving the last screen to late viewers: ``linger`` seconds, or (None) until
    Ctrl-C when interactive. Ctrl-C or SIGTERM while lingering is the normal way out."""
    if not _serves_viewers(stream):
        return
    if linger is None:
        if not sys.stdin.isatty():
            return
        print("glyphcast: the stream ended; viewers still see its last screen. Press Ctrl-C to stop.",
              file=err, flush=True)
        linger = float("inf")
    if linger <= 0:
        return
    try:
        threading.Event().wait(None if linger == float("inf") else linger)
    except (KeyboardInterrupt, Terminated):
        return


def parse_stream(text: str) -> tuple[str, str]:
    """``NAME=SOURCE[:k=v,...]`` for ``serve --stream``."""
    name, eq, spec = text.partition("=")
    if not eq or not name or not spec:
        raise argparse.ArgumentTypeError(f"expected NAME=SOURCE like demo=demo or talk=replay:path=talk.cast, got {text!r}")
    return name.strip(), spec.strip()


def serve(
    streams: Sequence[tuple[str, str]],
    display_specs: Sequence[str],
    *,
    size: tuple[int, int] | None,
    fps: float,
    duration: float | None,
) -> int:
    """The body of ``serve``: several sources, each its own named stream on the same displays' port.

    Each stream runs on a thread of its own; one that ends keeps serving its
    last screen (with ``end``) until the server stops: Ctrl-C, SIGTERM or ``duration``.
    """
    names = [name for name, _ in streams]
    if len(set(names)) != len(names):
        raise UsageError(f"each --stream needs its own name; got {', '.join(names)}")
    registry = get_registry()
    for spec in display_specs:
        name = parse_spec(spec)[0]
        entry = registry.displays.get(name)
        if entry is not None and "stream" not in option_names(entry.factory):
            raise UsageError(f"display {name!r} cannot carry named streams (it has no 'stream' option); "
                             "serve needs a display like websocket")
    err = sys.stderr
    size = size or (80, 24)
    sources: list[Source] = []
    lanes: list[tuple[str, Source, Stream]] = []
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    code = EXIT_OK
    runners: list[Runner] = []
    threads: list[threading.Thread] = []
    try:
        bound: list[dict[str, Any]] = [{} for _ in display_specs]
        for name, spec in streams:
            sources.append(_open_source(spec, size, fps))
            stream = open_displays([(display, {**bound[i], "stream": name}) for i, display in enumerate(display_specs)])
            lanes.append((name, sources[-1], stream))
            if not _start(stream, sources[-1].width, sources[-1].height, err):
                return EXIT_FAILED
            # port=0 picks a free port once: the next streams join that server, not new ones.
            for i, attached in enumerate(stream.displays):
                if parse_spec(display_specs[i])[1].get("port") == "0":
                    bound[i]["port"] = getattr(attached.display, "port", 0)
        with ExitStack() as controls:
            for name, source, stream in lanes:
                runner = Runner(source, stream, fps=fps)
                runners.append(runner)
                controls.enter_context(_controlled_by_clients(runner, stream=name))
                threads.append(threading.Thread(target=_serve_lane, args=(runner, source, stream),
                                                name=f"glyphcast-stream-{name}", daemon=True))
            for thread in threads:
                thread.start()
            threading.Event().wait(duration)
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except Terminated:
        code = EXIT_TERMINATED
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for runner in runners:
            runner.stop()
        for source in sources:  # a source blocked waiting for output (a quiet program) wakes up closed
            _close_source(source)
        for thread in threads:
            thread.join(5)
        for _, _, stream in lanes:
            stream.cleanup()
        signal.signal(signal.SIGTERM, previous)
    return code


def _serve_lane(runner: Runner, source: Source, stream: Stream) -> None:
    try:
        stats = runner.run()
    except Exception:  # noqa: BLE001 - one stream's failure is logged; the others go on serving
        log.exception("stream of %s failed", type(source).__name__)
        stream.end("the source failed")
        return
    if stats.ended == "source":
        _end(source, stream)


class _ClientControls:
    """The run's hooks for what controllers send: a new size goes to the runner (applied between
    frames), keystrokes to a source that takes them (``write``, e.g. a shared program). With
    ``stream``, only that stream's controllers count (``serve`` runs one source per stream)."""

    def __init__(self, runner: Runner, stream: str | None = None) -> None:
        self.runner = runner
        self.stream = stream
        write = getattr(runner.source, "write", None)
        self.write: Callable[[str], Any] | None = write if callable(write) else None

    def _ours(self, client: ClientInfo) -> bool:
        return self.stream is None or client.stream == self.stream

    @hookimpl
    def client_resize(self, width: int, height: int, client: ClientInfo) -> str | None:
        if not self._ours(client) or self.runner.request_resize(width, height):
            return None
        return f"this stream keeps its own size ({type(self.runner.source).__name__} cannot follow a resize)"

    @hookimpl
    def client_input(self, data: str, client: ClientInfo) -> None:
        if self.write is not None and self._ours(client):
            self.write(data)


@contextmanager
def _controlled_by_clients(runner: Runner, stream: str | None = None) -> Iterator[None]:
    manager = get_registry().manager
    controls = _ClientControls(runner, stream)
    manager.register(controls, name=f"glyphcast-run-controls-{id(controls)}")
    try:
        yield
    finally:
        manager.unregister(controls)


def _close_source(source: Source) -> None:
    close = getattr(source, "close", None)
    if callable(close):
        close()


def _print_addresses(stream: Stream, err: TextIO) -> None:
    """Where each serving display is, and (once per link) the controller link a display offers."""
    shown: set[str] = set()
    for attached in stream.displays:
        url = getattr(attached.display, "url", None)
        if url:
            print(f"glyphcast: {attached.name}: serving {url}", file=err, flush=True)
        controller = getattr(attached.display, "controller_url", None)
        if controller and controller not in shown:
            shown.add(controller)
            print(
                f"glyphcast: {attached.name}: to control it, open {controller}\n"
                "glyphcast:   (this link lets whoever has it type into the stream: share it only with them)",
                file=err,
                flush=True,
            )


def cmd_run(args: argparse.Namespace, registry: Registry) -> int:
    return play(
        args.source,
        args.display or _default_displays(registry),
        size=args.size,
        fps=args.fps,
        frames=args.frames,
        duration=args.duration,
        linger=args.linger,
    )


def cmd_serve(args: argparse.Namespace, registry: Registry) -> int:
    return serve(args.stream, args.display or ["websocket"], size=args.size, fps=args.fps, duration=args.duration)


def cmd_share(args: argparse.Namespace, registry: Registry) -> int:
    if "pty" not in registry.sources:
        raise UsageError(
            f"share needs the 'pty' source from the {SHARE_PACKAGE} package, which is not installed: "
            f"pip install {SHARE_PACKAGE}"
        )
    command = args.program[1:] if args.program[:1] == ["--"] else args.program
    if not command:
        raise UsageError("share needs a program to run: glyphcast share -- COMMAND [ARGS...]")
    if args.display:
        displays = args.display
    elif "websocket" in registry.displays:
        displays = ["websocket"]
    else:
        raise UsageError("share shows the program in browsers with glyphcast-websocket, which is not installed: "
                         "pip install glyphcast-websocket (or choose displays: --display record:path=FILE)")
    if any(parse_spec(spec)[0] == "terminal" for spec in displays):
        raise UsageError("the terminal display would draw over the program you are using in this terminal; "
                         "share with --display websocket (the default) or record:path=FILE")
    from_terminal = sys.stdin.isatty()
    if from_terminal and args.size is not None:
        raise UsageError("--size does not apply when sharing from a terminal: the stream has your window's size "
                         "and follows it; leave --size out")
    # Found as the program will be (PATH), and said as a shell says it: one line, 127 (126 if not executable).
    if shutil.which(command[0]) is None:
        if os.sep in command[0] and os.path.exists(command[0]):
            print(f"glyphcast: error: {command[0]}: permission denied (not an executable file)", file=sys.stderr)
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


def cmd_replay(args: argparse.Namespace, registry: Registry) -> int:
    if "replay" not in registry.sources:
        raise UsageError(
            f"replay needs the 'replay' source from the {REPLAY_PACKAGE} package, which is not installed: "
            f"pip install {REPLAY_PACKAGE}"
        )
    options: dict[str, Any] = {"path": args.file}
    if args.speed is not None:
        options["speed"] = args.speed
    if args.loop:
        options["loop"] = True
    if args.idle_time_limit is not None:
        options["idle_time_limit"] = args.idle_time_limit
    return play(
        "replay",
        args.display or _default_displays(registry),
        size=args.size,
        fps=args.fps,
        frames=args.frames,
        duration=args.duration,
        source_options=options,
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
        if args.command == "replay":
            return cmd_replay(args, registry)
        if args.command == "serve":
            return cmd_serve(args, registry)
        if args.command == "share":
            return cmd_share(args, registry)
        return cmd_run(args, registry)
    except (OptionError, DisplayError, UsageError) as error:
        print(f"glyphcast: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C before the run started (while opening displays)
        return EXIT_INTERRUPTED
