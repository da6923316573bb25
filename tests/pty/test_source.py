"""The pty source on real programs: frames, cursor, keystrokes, resize, exit status, floods, idleness."""

from __future__ import annotations

import logging
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from glyphcast import Stream, open_display
from glyphcast.runner import Runner
from glyphcast_pty import CommandNotFound, PtySource
from glyphcast_pty.source import MAX_PENDING_INPUT
from pty_helpers import Screen, Watch, program_env

WatchFactory = Callable[..., Watch]


def test_output_becomes_frames_with_colours_and_the_cursor(watch: WatchFactory) -> None:
    watched = watch(["printf", "\\033[1;32mgreen\\033[0m plain\\nnext"], width=30, height=4)
    watched.wait_done()
    last = watched.frames[-1]
    assert last.rows is not None
    assert last.rows[0] == "\x1b[0;1;32mgreen\x1b[0m plain"
    assert watched.screen() == ["green plain", "next", "", ""]
    assert last.cursor == (4, 1)
    assert watched.source.exit_status == 0
    assert watched.source.end_reason == "program exited with status 0"


def test_frames_are_timed_from_the_start_and_carry_no_size_until_a_resize(watch: WatchFactory) -> None:
    watched = watch(["sh", "-c", "echo one; read x; echo two"], width=20, height=3)
    watched.wait_for(lambda s: s[0] == "one")
    watched.source.write("\r")
    watched.wait_done()
    ats = [cue.at for cue in watched.frames]
    assert all(at is not None and at >= 0 for at in ats) and ats == sorted(ats)  # type: ignore[type-var]
    assert all(cue.size is None for cue in watched.cues)


def test_the_exit_status_is_the_programs_and_a_signal_is_128_plus_its_number(watch: WatchFactory) -> None:
    exited = watch(["sh", "-c", "exit 3"])
    killed = watch(["sh", "-c", "kill -TERM $$"])
    exited.wait_done()
    killed.wait_done()
    assert (exited.source.exit_status, exited.source.end_reason) == (3, "program exited with status 3")
    assert (killed.source.exit_status, killed.source.end_reason) == (143, "killed by signal 15 (SIGTERM)")


def test_a_command_that_does_not_exist_fails_before_anything_starts() -> None:
    with pytest.raises(CommandNotFound, match="command not found: no-such-command-4d1f"):
        PtySource(80, 24, "no-such-command-4d1f --flag")
    with pytest.raises(ValueError, match="no command"):
        PtySource(80, 24, "")


def test_the_program_runs_on_a_pty_of_the_streams_size_with_term_set(watch: WatchFactory) -> None:
    watched = watch(["sh", "-c", 'stty size; echo "$TERM"; tty'], width=57, height=13)
    watched.wait_done()
    screen = watched.screen()
    assert screen[:2] == ["13 57", "xterm-256color"]
    assert screen[2].startswith("/dev/pts/")  # its stdin is a terminal (and /dev/tty opens: see vim, less)


def test_keystrokes_written_reach_the_program_and_ctrl_c_is_sigint_to_it(watch: WatchFactory) -> None:
    watched = watch(
        ["sh", "-c", 'trap "echo caught INT; exit 9" INT; read line; echo "got $line"; sleep 100']
    )
    watched.source.write("hello\r")
    watched.wait_for(lambda s: "got hello" in s)
    watched.source.write("\x03")
    watched.wait_done()
    assert any(row.endswith("caught INT") for row in watched.screen())  # after the echoed ^C
    assert watched.source.exit_status == 9


def test_a_resize_reaches_the_program_and_the_next_cue_carries_the_size(watch: WatchFactory) -> None:
    watched = watch(
        ["sh", "-c", 'trap "stty size" WINCH; echo ready; while :; do sleep 0.05; done'], width=40, height=10
    )
    watched.wait_for(lambda s: s[0] == "ready")
    watched.source.resize(60, 12)
    screen = watched.wait_for(lambda s: "12 60" in s)
    sized = [cue for cue in watched.cues if cue.size is not None]
    assert [cue.size for cue in sized] == [(60, 12)]
    assert len(screen) == 12 and (watched.source.width, watched.source.height) == (60, 12)


def test_controller_input_over_the_budget_is_dropped_whole_with_one_log_line(
    watch: WatchFactory, caplog: pytest.LogCaptureFixture
) -> None:
    watched = watch(["cat"], input_rate=10, input_burst=20)
    with caplog.at_level(logging.WARNING, logger="glyphcast.pty"):
        watched.source.write("0123456789\r")  # 11 bytes: fits
        watched.source.write("this message is too long\r")  # over what is left: dropped whole
        watched.source.write("x" * 30)  # dropped too, but reported with the first one later
        watched.wait_for(lambda s: s.count("0123456789") == 2)  # the echo and cat's copy
    assert "too long" not in "\n".join(watched.screen())
    lines = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert lines == [
        "pty: dropped 1 controller input message(s), 25 bytes: over the limit of 10 bytes/s "
        "(20 at once) or the program is not reading its input"
    ]


def test_input_a_program_does_not_read_is_bounded(watch: WatchFactory) -> None:
    watched = watch(["sleep", "100"], input_rate=1e9, input_burst=1e9)
    for _ in range(2 * MAX_PENDING_INPUT // 4096):
        watched.source.write("y" * 4096)
    assert len(watched.source._input) <= MAX_PENDING_INPUT


def ends_within(pid: int, timeout: float = 5.0) -> bool:
    """Whether ``pid`` exits within ``timeout`` (a signal is delivered asynchronously): its pidfd turns readable."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([pidfd], [], [], timeout)[0])
    finally:
        os.close(pidfd)


def test_close_ends_the_program_and_everything_it_started_in_its_group(watch: WatchFactory, tmp_path) -> None:
    pids = tmp_path / "pids"
    watched = watch(["sh", "-c", f"sleep 100 & echo $! > {pids}; echo $$ >> {pids}; echo started; wait"])
    watched.wait_for(lambda s: "started" in s)
    watched.source.close()
    watched.wait_done()
    assert all(ends_within(pid) for pid in map(int, pids.read_text().split()))
    assert watched.source.exit_status == 128 + 1  # SIGHUP, as when a terminal closes


def test_an_idle_program_costs_no_frames_and_no_cpu(watch: WatchFactory) -> None:
    watched = watch(["sleep", "3"])
    watched.wait_done(timeout=10)
    assert watched.frames == []
    assert watched.cpu_seconds < 0.05, f"{watched.cpu_seconds:.3f} s of CPU to watch a sleeping program"


def test_a_keystroke_echo_is_a_frame_within_one_interval(watch: WatchFactory) -> None:
    watched = watch(["cat"], fps=10)
    delays = []
    for key in "abcdefgh":
        count = len(watched.frames)
        sent = time.monotonic()
        watched.source.write(key)

        def echoed(screen: Screen, key: str = key) -> bool:
            return key in screen[0]

        watched.wait_for(echoed)
        delays.append(time.monotonic() - sent)
        assert len(watched.frames) == count + 1  # one frame per keystroke, not one per read
    assert max(delays) < 0.1 + 0.05, delays


def test_a_flood_finishes_promptly_with_frames_at_most_fps(watch: WatchFactory) -> None:
    started = time.monotonic()
    watched = watch(["sh", "-c", "yes glyphcast | head -c 20000000; echo; echo done"], fps=30)
    watched.wait_done(timeout=60)
    elapsed = time.monotonic() - started
    assert watched.screen()[-2:] == ["done", ""]
    assert watched.source.exit_status == 0
    assert len(watched.frames) <= 30 * elapsed + 2


# VmHWM, not ru_maxrss: the latter survives exec, so it would include the forking parent's peak.
FLOOD = """
import re, sys
from glyphcast_pty import PtySource
source = PtySource(200, 60, sys.argv[1])
frames = sum(1 for _ in source)
source.close()
with open("/proc/self/status") as status:
    print(frames, re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
"""


def peak_rss_kb(command: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", FLOOD, command],
        capture_output=True,
        text=True,
        timeout=120,
        env=program_env(),
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[1])


def test_memory_stays_bounded_whatever_the_program_writes() -> None:
    quiet = peak_rss_kb("echo hi")
    flood = peak_rss_kb("sh -c 'yes 0123456789abcdef | head -c 50M'")
    assert flood - quiet < 30_000, f"peak RSS {quiet} kB for a line, {flood} kB for 50 MB of output"


def test_through_the_runner_frames_reach_displays_with_the_cursor() -> None:
    source = PtySource(20, 4, ["printf", "ab\\ncd"], env=program_env())
    memory = open_display("memory")
    stream = Stream([("memory", memory)])
    stream.init(20, 4)
    stats = Runner(source, stream).run()
    source.close()
    assert stats.ended == "source"
    last = memory.last  # type: ignore[attr-defined]
    assert last.rows == ("ab", "cd", "", "") and last.cursor == (2, 1)


def test_an_unused_source_closes_without_starting_anything() -> None:
    source = PtySource(80, 24, "sleep 100")
    source.close()
    assert source.process is None and source.exit_status is None
    with pytest.raises(RuntimeError, match="once"):
        iter(source)


def test_peak_rss_helper_measures_this_python() -> None:
    # Sanity for the memory test above: a child that allocates 60 MB shows it.
    big = subprocess.run(
        [
            sys.executable,
            "-c",
            "import re; b = bytearray(60_000_000); b[::4096] = b'x' * len(b[::4096]); "
            "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(big.stdout) > 60_000
