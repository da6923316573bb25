"""The glyphcast command: clear usage errors, the demo in a real terminal, and clean stops on signals."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
from core_helpers import ROOT, PtyRun, run_cli
from glyphcast import ClientInfo, Cue, cli, hookimpl
from glyphcast.displays import MemoryDisplay
from glyphcast.play import Terminated
from glyphcast.plugins import hook, load_registry, reset_registry
from glyphcast.terminal import HIDE_CURSOR, SHOW_CURSOR, SYNC_BEGIN, SYNC_END


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    stderr = result.stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got: {stderr!r}"
    return lines[0]


# -- usage errors: exit 2, one line, the valid choices ----------------------------------
def test_an_unknown_display_exits_2_naming_the_available_ones() -> None:
    result = run_cli("run", "--display", "nosuch", "--frames", "1")
    assert result.returncode == 2
    line = one_line_error(result)
    assert "unknown display 'nosuch'" in line
    assert re.search(r"available displays: .*memory.*null.*terminal", line)


def test_an_unknown_source_exits_2_naming_the_available_ones() -> None:
    result = run_cli("run", "--source", "nosuch", "--display", "null")
    assert result.returncode == 2
    assert "available sources: demo" in one_line_error(result)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--size", "80"], "expected WxH like 80x24"),
        (["--size", "0x10"], "expected WxH like 80x24"),
        (["--size", "axb"], "expected WxH like 80x24"),
        (["--fps", "0"], "expected a positive number"),
        (["--fps", "fast"], "expected a positive number"),
        (["--frames", "-3"], "expected a whole number >= 1"),
        (["--duration", "soon"], "expected a positive number"),
        (["--frames", "3", "--duration", "1"], "not allowed with argument"),
    ],
)
def test_bad_values_exit_2_with_one_line_saying_what_is_wrong(args: list[str], expected: str) -> None:
    result = run_cli("run", "--display", "null", *args)
    assert result.returncode == 2
    assert expected in one_line_error(result)


def test_a_bad_display_option_exits_2_listing_the_valid_options() -> None:
    result = run_cli("run", "--display", "memory:limt=3", "--frames", "1")
    assert result.returncode == 2
    assert one_line_error(result).endswith("display 'memory' has no option 'limt'; valid options: limit")


def test_a_bad_source_option_value_exits_2() -> None:
    result = run_cli("run", "--source", "demo:seed=abc", "--display", "null", "--frames", "1")
    assert result.returncode == 2
    assert "source 'demo': option seed='abc': not a valid int" in one_line_error(result)


def test_the_terminal_display_refuses_a_stdout_that_is_not_a_terminal() -> None:
    result = run_cli("run", "--display", "terminal", "--frames", "3")
    assert result.returncode == 2
    assert "terminal:force=true" in one_line_error(result)
    assert result.stdout == ""


def test_forced_onto_a_pipe_the_terminal_display_writes_balanced_frames() -> None:
    result = run_cli(
        "run", "--display", "terminal:force=true", "--frames", "5", "--fps", "100", "--size", "40x12"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(SYNC_BEGIN) == result.stdout.count(SYNC_END) >= 1
    assert result.stdout.startswith(HIDE_CURSOR) and result.stdout.endswith(SHOW_CURSOR)


def test_help_shows_examples_and_the_installed_displays_and_sources() -> None:
    result = run_cli("run", "--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout and "glyphcast run --display terminal --frames 90" in result.stdout
    assert re.search(r"installed displays.*:\n(.*\n)*  terminal .*\[force, alt_screen\]", result.stdout)
    assert re.search(r"installed sources:\n  demo ", result.stdout)


def test_python_dash_m_glyphcast_runs_a_finite_demo_on_memory() -> None:
    begin = time.monotonic()
    result = run_cli("run", "--display", "memory", "--display", "null", "--frames", "20", "--fps", "50")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # not a terminal: no status line
    assert time.monotonic() - begin >= 19 / 50  # paced, not as fast as possible


def test_plugins_lists_the_builtins_with_version_registrations_and_hooks() -> None:
    text = run_cli("plugins")
    assert text.returncode == 0
    assert text.stdout.startswith("glyphcast 0.1.0")
    assert re.search(r"displays\s+terminal, null, memory", text.stdout)
    assert re.search(r"hooks\s+register_displays, register_sources", text.stdout)
    listed = json.loads(run_cli("plugins", "--json").stdout)
    core = next(p for p in listed if p["name"] == "glyphcast")
    assert core["sources"] == ["demo"] and core["error"] is None and core["version"] == "0.1.0"


# -- a real terminal (pty), read back with pyte ----------------------------------------
def test_run_draws_the_demo_in_a_terminal_and_leaves_it_as_found(in_pty: object) -> None:
    run: PtyRun = in_pty("run", "--display", "terminal", "--frames", "90", "--fps", "120")  # type: ignore[operator]
    assert run.finish() == 0, bytes(run.output)[-500:]
    out = bytes(run.output).decode()
    assert out.count(SYNC_BEGIN) == out.count(SYNC_END) >= 1
    assert out.index(HIDE_CURSOR) < out.index(SYNC_BEGIN) and out.rstrip().endswith(SHOW_CURSOR)
    screen = run.screen()
    assert not screen.cursor.hidden
    assert screen.cursor.y == 23 and screen.cursor.x == 0  # below the 80x23 frame
    assert screen.cursor.attrs.fg == "default" and not screen.cursor.attrs.bold
    rows = screen.display
    assert (
        "◆ glyphcast demo" in rows[0] and "frame 000089" in rows[0] and "00:00.7" in rows[0]
    )  # 89 frames at 120 fps
    assert any("漢字" in row and "🚀" in row for row in rows)
    assert "seed 0 · 80x23" in rows[22]


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_mid_run_stops_cleanly_and_restores_the_terminal(
    in_pty: object, signum: int, status: int
) -> None:
    run: PtyRun = in_pty("run", "--display", "terminal", "--fps", "60")  # type: ignore[operator]
    run.read_until(lambda out: out.count(SYNC_END.encode()) >= 5)
    run.proc.send_signal(signum)
    assert run.finish() == status
    out = bytes(run.output).decode()
    assert out.count(SYNC_BEGIN) == out.count(SYNC_END)
    assert out.rstrip().endswith(SHOW_CURSOR)
    screen = run.screen()
    assert not screen.cursor.hidden and "glyphcast demo" in screen.display[0]
    assert "Traceback" not in out


def test_the_status_line_shows_fps_frames_and_each_displays_state_on_a_terminal(in_pty: object) -> None:
    run: PtyRun = in_pty("run", "--display", "memory", "--display", "null", "--frames", "40", "--fps", "40")  # type: ignore[operator]
    assert run.finish() == 0
    last = run.screen().display
    status = next(row for row in last if "fps" in row)
    assert re.search(r"\d+\.\d fps\s+40 frames\s+memory: ok, null: ok", status)


def test_the_example_engine_selects_displays_by_name() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "engine.py"), "memory", "null"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


def test_the_example_engine_draws_on_a_terminal(in_pty: object) -> None:
    import sys

    run: PtyRun = in_pty(command=[sys.executable, str(ROOT / "examples" / "engine.py")])  # type: ignore[operator]
    assert run.finish() == 0
    screen = run.screen()
    assert not screen.cursor.hidden
    assert sum(row.count("*") for row in screen.display) == 60  # one star per column of the wave


# -- in process: what the CLI tells the user about its displays ---------------------------
class Served(MemoryDisplay):
    """A display that serves something once started, as the websocket display does."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{40000 + self.width}/"


class NeverStarts(MemoryDisplay):
    def start(self) -> None:
        raise OSError("address already in use")


class Offers:
    @hookimpl
    def register_displays(self, register: Callable[..., None]) -> None:
        register("served", Served)
        register("never-starts", NeverStarts)


def test_a_display_that_serves_something_prints_where(capsys: pytest.CaptureFixture[str]) -> None:
    reset_registry(load_registry(extra_plugins=[("offers", Offers())]))
    assert cli.main(["run", "--display", "served", "--size", "40x10", "--frames", "2", "--fps", "100"]) == 0
    assert "served: serving http://127.0.0.1:40040/" in capsys.readouterr().err


class Listening(MemoryDisplay):
    """A display that serves on (host, port), as the websocket display does."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8765) -> None:
        super().__init__()
        self.host, self.port = host, port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"


class Listens:
    @hookimpl
    def register_displays(self, register: Callable[..., None]) -> None:
        register("listening", Listening)


@pytest.mark.parametrize(
    ("args", "printed"),
    [
        (["--port", "9001"], "listening: serving http://127.0.0.1:9001/"),
        (["--host", "localhost", "--port", "9002"], "listening: serving http://localhost:9002/"),
        (["--host", "0.0.0.0"], "listening: serving http://0.0.0.0:8765/"),
        (["--port", "9003", "--display", "listening:port=9003"], "listening: serving http://127.0.0.1:9003/"),
    ],
)
def test_port_and_host_set_where_every_serving_display_listens(
    args: list[str], printed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    reset_registry(load_registry(extra_plugins=[("listens", Listens())]))
    displays = [] if "--display" in args else ["--display", "listening", "--display", "memory"]
    assert cli.main(["run", *displays, *args, "--frames", "1", "--fps", "100"]) == 0
    assert printed in capsys.readouterr().err


def test_a_port_that_disagrees_with_the_displays_own_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    reset_registry(load_registry(extra_plugins=[("listens", Listens())]))
    assert cli.main(["run", "--display", "listening:port=9000", "--port", "9001", "--frames", "1"]) == 2
    assert capsys.readouterr().err == (
        "glyphcast: error: --port 9001 and port=9000 in --display listening disagree: give the port once\n"
    )


@pytest.mark.parametrize("flag", [["--port", "9000"], ["--host", "::1"]])
def test_port_or_host_without_a_display_that_serves_is_refused(flag: list[str]) -> None:
    result = run_cli("run", "--display", "null", "--display", "memory", *flag, "--frames", "1")
    assert result.returncode == 2
    assert one_line_error(result) == (
        f"glyphcast: error: {flag[0]} is for a display that serves browsers (websocket), and null, memory "
        f"does not serve: leave {flag[0]} out"
    )


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_a_port_out_of_range_is_a_usage_error(port: str) -> None:
    result = run_cli("run", "--display", "null", "--port", port)
    assert result.returncode == 2
    assert "expected a port number 0..65535" in one_line_error(result)


def test_when_every_display_fails_to_start_run_exits_1_saying_why(capsys: pytest.CaptureFixture[str]) -> None:
    reset_registry(load_registry(extra_plugins=[("offers", Offers())]))
    assert cli.main(["run", "--display", "never-starts", "--frames", "2"]) == 1
    err = capsys.readouterr().err
    assert "every display failed" in err and "address already in use" in err


def test_one_display_failing_to_start_stops_the_run_with_exit_1_naming_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A viewer that cannot be served is not a run anyone wants: say so and stop, don't run on half-blind."""
    reset_registry(load_registry(extra_plugins=[("offers", Offers())]))
    code = cli.main(
        ["run", "--display", "never-starts", "--display", "served", "--frames", "3", "--fps", "100"]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "display 'never-starts' could not start: address already in use" in err
    assert "serving" not in err


def test_an_engine_without_signal_handling_still_restores_the_terminal_on_sigterm(in_pty: object) -> None:
    import sys

    run: PtyRun = in_pty(command=[sys.executable, str(ROOT / "examples" / "engine.py")])  # type: ignore[operator]
    run.read_until(lambda out: out.count(SYNC_END.encode()) >= 3)
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish() == 143  # the terminal display turned SIGTERM into SystemExit(143)
    out = bytes(run.output).decode()
    assert out.rstrip().endswith(SHOW_CURSOR) and not run.screen().cursor.hidden
    assert "Traceback" not in out


def test_the_terminal_display_says_when_the_stream_is_cut_and_follows_sigwinch(in_pty: object) -> None:
    import fcntl
    import signal
    import struct
    import termios

    # 0.2 fps: after the first frame nothing is shown for 5 s, so a repaint before then is SIGWINCH's.
    run: PtyRun = in_pty("run", "--display", "terminal", "--size", "100x30", "--fps", "0.2")  # type: ignore[operator]
    run.read_until(lambda out: SYNC_END.encode() in out)
    rows = run.screen().display
    assert "frame 000000" not in rows[0]  # the title's right end is past column 80
    assert "stream 100x30 > terminal 80x24: cut to fit" in rows[23], rows[23]
    assert "seed 0" not in "".join(rows)  # the footer (row 30) is cut, not scrolled into view

    mark = len(run.output)
    fcntl.ioctl(run.master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    run.proc.send_signal(signal.SIGWINCH)  # not this process's controlling terminal: the kernel won't
    run.read_until(lambda out: SYNC_END.encode() in out[mark:], timeout=3)
    screen = run.screen(120, 40)
    assert "frame 000000" in screen.display[0], "frame 0 was not painted again at the new size"
    assert "seed 0 · 100x30" in screen.display[29]
    assert not any("cut to fit" in row for row in screen.display)

    run.proc.send_signal(signal.SIGINT)
    assert run.finish() == 130
    out = bytes(run.output).decode()
    notes = [line for line in out.splitlines() if "was larger than the terminal" in line]
    assert len(notes) == 1 and "(100x30)" in notes[0] and "(80x24)" in notes[0], notes


class Program:
    """A source like a shared program: it takes keystrokes, ends by itself, and has an exit status."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.typed: list[str] = []
        self.end_reason = "program exited with status 3"
        self.exit_status = 3

    def write(self, data: str) -> None:
        self.typed.append(data)

    def __iter__(self) -> Iterator[Cue]:
        hook().client_input(data="q", client=ClientInfo(id=1, remote="", codec="", role="controller"))
        yield Cue(rows=["$ ", *self.typed], at=0.0, cursor=(2, 0))


class Runs:
    display = MemoryDisplay()
    programs: list[Program] = []

    @hookimpl
    def register_displays(self, register: Callable[..., None]) -> None:
        register("kept", lambda **options: Runs.display)

    @hookimpl
    def register_sources(self, register: Callable[..., None]) -> None:
        def program(width: int, height: int) -> Program:
            Runs.programs.append(Program(width, height))
            return Runs.programs[-1]

        register("program", program)


def test_a_source_that_ends_ends_the_stream_and_its_exit_status_is_the_run_s() -> None:
    """What `glyphcast share` builds on: the end reaches displays, the status is passed through,
    a controller's keystrokes reach the source, the cursor reaches the frames."""
    Runs.display = MemoryDisplay()
    reset_registry(load_registry(extra_plugins=[("runs", Runs())]))
    assert cli.main(["run", "--source", "program", "--display", "kept"]) == 3
    assert Runs.display.ended == ["program exited with status 3"]
    assert Runs.programs[-1].typed == ["q"]
    assert Runs.display.last is not None and Runs.display.last.cursor == (2, 0)


@pytest.mark.parametrize(
    ("limit", "reason"),
    [
        (["--frames", "2"], "stopped after 2 frames (--frames)"),
        (["--duration", "0.05"], "stopped after 0.05 s (--duration)"),
    ],
)
def test_a_run_stopped_by_its_frame_or_time_limit_ends_the_stream(limit: list[str], reason: str) -> None:
    """The limit is the producer stopping on purpose: viewers are told (``end``, then 1000) instead of
    being dropped (1001) and reconnecting to nothing."""
    Runs.display = MemoryDisplay()
    reset_registry(load_registry(extra_plugins=[("runs", Runs())]))
    assert cli.main(["run", "--display", "kept", *limit, "--fps", "100"]) == 0
    assert Runs.display.ended == [reason]


class Stopped:
    """A source stopped from outside after its first frame: ``stop`` is raised where a signal's
    handler raises it (KeyboardInterrupt for SIGINT, play's Terminated for SIGTERM). With ``relays``
    it carries another process's stream (a Redis edge)."""

    def __init__(self, width: int, height: int, stop: type[BaseException], relays: bool) -> None:
        self.width, self.height = width, height
        self.stop = stop
        self.relays = relays

    def __iter__(self) -> Iterator[Cue]:
        yield Cue(rows=["working"], at=0.0)
        raise self.stop()


def stopped_by(stop: type[BaseException], relays: bool = False) -> None:
    """Register the ``stopped`` source and the ``kept`` display (a fresh MemoryDisplay)."""

    class Plugin:
        @hookimpl
        def register_displays(self, register: Callable[..., None]) -> None:
            register("kept", lambda **options: Runs.display)

        @hookimpl
        def register_sources(self, register: Callable[..., None]) -> None:
            register("stopped", lambda width, height: Stopped(width, height, stop, relays))

    Runs.display = MemoryDisplay()
    reset_registry(load_registry(extra_plugins=[("stopped", Plugin())]))


@pytest.mark.parametrize(
    ("stop", "status", "reason"),
    [(KeyboardInterrupt, 130, "interrupted (SIGINT)"), (Terminated, 143, "terminated (SIGTERM)")],
)
def test_a_producer_stopped_by_a_signal_ends_its_stream_before_it_exits(
    stop: type[BaseException], status: int, reason: str
) -> None:
    stopped_by(stop)
    assert cli.main(["run", "--source", "stopped", "--display", "kept"]) == status
    assert Runs.display.ended == [reason]
    assert Runs.display.last is not None and Runs.display.last.rows[0] == "working"


@pytest.mark.parametrize(("stop", "status"), [(KeyboardInterrupt, 130), (Terminated, 143)])
def test_an_edge_stopped_by_a_signal_goes_away_without_ending_the_stream_it_relays(
    stop: type[BaseException], status: int
) -> None:
    """A Redis edge's stream is its producer's: the edge stopping is a server going away (1001, viewers
    reconnect to another edge or the restarted one), not the stream's end."""
    stopped_by(stop, relays=True)
    assert cli.main(["run", "--source", "stopped", "--display", "kept"]) == status
    assert Runs.display.ended == []
