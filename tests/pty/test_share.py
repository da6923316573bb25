"""``glyphcast share`` on a real terminal: the person sharing uses the program as if glyphcast were not there.

Each test runs ``glyphcast share`` with a real pty as its controlling terminal
(so resizing it sends SIGWINCH), types on the master side as a person would,
and reads what their terminal shows.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import termios
from collections.abc import Callable
from pathlib import Path

import pytest
from pty_helpers import Terminal, glyphcast_argv, program_env
from reference_terminal import Tmux

TerminalFactory = Callable[..., Terminal]


def share(*command: str, display: str = "null") -> tuple[str, ...]:
    """``glyphcast share`` that exits with its program (no lingering for late viewers after it)."""
    return ("share", "--linger", "0", "--display", display, "--", *command)


def test_share_is_a_command_of_glyphcast_pty_and_its_help_warns_about_the_control_link() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            glyphcast_argv(*args),
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
            env=program_env(),
        )

    assert re.search(r"^    share\s+share a terminal program", run("--help").stdout, re.M)
    result = run("share", "--help")
    assert result.returncode == 0
    assert "share that link like a password" in result.stdout
    assert "glyphcast share -- bash" in result.stdout


def test_the_programs_exit_status_is_glyphcasts(terminal: TerminalFactory) -> None:
    assert terminal(*share("sh", "-c", "exit 3")).finish() == 3
    assert terminal(*share("sh", "-c", "kill -TERM $$")).finish() == 128 + 15
    assert terminal(*share("true", display="websocket:port=0")).finish() == 0


def test_keys_typed_reach_the_program_and_its_output_reaches_the_sharers_terminal(
    terminal: TerminalFactory,
) -> None:
    term = terminal(*share("sh", "-c", 'echo ready; read line; echo "got <$line>"; exit 4'))
    term.wait_for_text("ready")
    term.type("hello there\r")
    assert term.finish() == 4
    # The pty's own echo, then the program's line: what the person would see without glyphcast.
    assert "hello there\r\ngot <hello there>\r\n" in term.text()


def test_the_terminal_is_raw_while_sharing_and_restored_after(terminal: TerminalFactory) -> None:
    term = terminal(*share("sh", "-c", "echo ready; read line"))
    before = term.modes()
    assert before[3] & termios.ECHO and before[3] & termios.ICANON
    term.wait_for_text("ready")
    during = term.modes()
    assert not during[3] & (termios.ECHO | termios.ICANON | termios.ISIG)
    term.type("\r")
    assert term.finish() == 0
    assert term.modes() == before


def test_ctrl_c_goes_to_the_program_not_to_glyphcast(terminal: TerminalFactory) -> None:
    term = terminal(
        *share("sh", "-c", 'trap "echo caught INT; exit 9" INT; echo ready; while :; do sleep 0.05; done')
    )
    term.wait_for_text("ready")
    term.type("\x03")
    assert term.finish() == 9  # glyphcast itself would have exited 130
    assert "caught INT" in term.text()


def test_the_window_size_is_followed_by_the_program_and_the_stream(
    terminal: TerminalFactory, tmp_path: Path
) -> None:
    cast = tmp_path / "shared.cast"
    term = terminal(
        *share(
            "sh",
            "-c",
            'trap "stty size" WINCH; trap "exit 0" INT; stty size; echo ready; while :; do sleep 0.05; done',
            display=f"record:path={cast}",
        ),
        width=70,
        height=20,
    )
    term.wait_for_text("ready")
    assert "20 70\r\n" in term.text()
    term.resize(100, 30)  # the kernel sends glyphcast SIGWINCH, as a terminal emulator's resize does
    term.wait_for_text("30 100")
    term.type("\x03")
    assert term.finish() == 0
    lines = cast.read_text().splitlines()
    assert json.loads(lines[0])["width"] == 70 and json.loads(lines[0])["height"] == 20
    assert [json.loads(line)[2] for line in lines[1:] if json.loads(line)[1] == "r"] == ["100x30"]


def test_a_command_that_does_not_exist_is_one_line_and_127(terminal: TerminalFactory) -> None:
    term = terminal(*share("no-such-command-5e2a", "--flag"))
    assert term.finish() == 127
    assert term.text().strip() == "glyphcast: error: no-such-command-5e2a: command not found"


def test_without_a_terminal_the_size_is_given_or_80x24() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            glyphcast_argv(*args),
            capture_output=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
            env=program_env(),
        )

    given = run("share", "--display", "null", "--size", "50x10", "--", "stty", "size")
    default = run("share", "--display", "null", "stty", "size")  # "--" is optional
    assert (given.returncode, given.stdout) == (0, b"10 50\r\n"), given.stderr
    assert (default.returncode, default.stdout) == (0, b"24 80\r\n"), default.stderr


def test_size_from_a_terminal_and_the_terminal_display_are_refused_with_a_reason(
    terminal: TerminalFactory,
) -> None:
    sized = terminal("share", "--size", "10x10", "--display", "null", "--", "true")
    assert sized.finish() == 2
    assert "--size does not apply when sharing from a terminal" in sized.text()
    drawn = terminal("share", "--display", "terminal", "--", "true")
    assert drawn.finish() == 2
    assert "would draw over the program you are using" in drawn.text()
    bare = terminal("share")
    assert bare.finish() == 2
    assert "share needs a program to run" in bare.text()


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_sharing_an_idle_program_costs_glyphcast_no_cpu(terminal: TerminalFactory) -> None:
    term = terminal(*share("sh", "-c", "echo ready; sleep 3; echo slept; read x", display="websocket:port=0"))
    term.wait_for_text("ready")
    before = cpu_seconds(term.process.pid)
    term.wait_for_text("slept")
    spent = cpu_seconds(term.process.pid) - before
    term.type("\r")
    assert term.finish() == 0
    assert spent < 0.05, f"glyphcast used {spent:.2f} s of CPU while the program slept 3 s"


def test_when_stdout_goes_away_the_program_runs_on_for_the_viewers() -> None:
    share = subprocess.Popen(
        glyphcast_argv(
            "share", "--display", "null", "--", "sh", "-c", "echo ready; read x; seq 1 200000; exit 6"
        ),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=program_env(),
    )
    assert share.stdout is not None and share.stdin is not None
    assert share.stdout.readline() == b"ready\r\n"
    share.stdout.close()  # like `glyphcast share ... | head -1`
    share.stdin.write(b"\n")
    share.stdin.close()
    assert share.stderr is not None
    err = share.stderr.read()  # until glyphcast exits and closes it
    assert share.wait(timeout=60) == 6
    assert b"stopped copying the program's output to fd 1" in err


def test_by_default_share_serves_the_browser_viewer_and_prints_where(terminal: TerminalFactory) -> None:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", 8765))
        except OSError:
            pytest.skip("port 8765 (the default) is in use on this machine")
    term = terminal("share", "--linger", "0", "--", "sh", "-c", "exit 3")
    assert term.finish() == 3
    assert "glyphcast: websocket: serving http://127.0.0.1:8765/" in term.text()
    assert "#control=" in term.text()


Step = tuple[str, bool, Callable[[list[str]], bool]]  # keys, typed literally, what the screen shows then

# vim's start screen picks one of several appeals at random: no start screen, so both show the same.
VIM_COMMAND = "vim -u NONE -i NONE -N -n --cmd 'set shortmess+=I'"
VIM: list[Step] = [
    ("", True, lambda s: s[1] == "~"),
    ("ihello", True, lambda s: s[0] == "hello"),
    ("Escape", False, lambda s: "INSERT" not in s[-1]),
    ("yyp", True, lambda s: s[:2] == ["hello", "hello"]),
]
LESS: list[Step] = [
    ("", True, lambda s: s[0] == "line 001"),
    (" ", True, lambda s: s[0] == "line 024"),
    ("/line 150", True, lambda s: s[-1] == "/line 150"),
    ("Enter", False, lambda s: s[0] == "line 150"),
]


@pytest.mark.parametrize(
    ("program", "steps"), [(VIM_COMMAND, VIM), ("less {file}", LESS)], ids=["vim", "less"]
)
def test_in_a_real_terminal_the_sharer_sees_what_they_would_see_without_glyphcast(
    program: str, steps: list[Step], tmp_path: Path
) -> None:
    """tmux as the sharer's terminal emulator: the program alone in one, through glyphcast share in another."""
    numbered = tmp_path / "numbered.txt"
    numbered.write_text("".join(f"line {n:03}\n" for n in range(1, 201)))
    command = program.format(file=numbered)
    env = "env TERM=xterm-256color LESSHISTFILE=- LANG=C.UTF-8 LC_ALL=C.UTF-8 "
    glyphcast = " ".join(shlex.quote(arg) for arg in glyphcast_argv("share", "--display", "null", "--"))
    with Tmux(80, 24) as alone, Tmux(80, 24) as shared:
        alone.start(f"{env}{command}")
        shared.start(f"{env}{glyphcast} {command}")
        for keys, literal, shows in steps:
            for pane in (alone, shared):
                if keys:
                    pane.send_keys(keys, literal=literal)
                pane.wait_for(shows)
            assert shared.wait_for(lambda s: s == alone.screen()) == alone.screen()
            assert shared.cursor() == alone.cursor()
