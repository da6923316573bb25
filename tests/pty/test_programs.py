"""Real programs in the pty source show what a real terminal shows: tmux, same program, same size, same keys.

Each step sends the same keys to both, then waits until the source's frames
show exactly tmux's screen (text, row by row) — the intermediate screens while
editing or paging and the final one after the program quits (vim and less
leave the alternate screen: what was printed before them is back).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pty_helpers import Screen, Watch, program_env, show
from reference_terminal import Tmux

WatchFactory = Callable[..., Watch]

# The program must not know it runs under tmux (vim and less pick other sequences for tmux's
# TERM): both terminals say they are what the pty source says.
# vim's start screen picks one of several appeals at random: no start screen, so both show the same.
VIM = 'vim -u NONE -i NONE -N -n --cmd "set shortmess+=I"'

REF_ENV = "env TERM=xterm-256color LESSHISTFILE=- LANG=C.UTF-8 LC_ALL=C.UTF-8 "


def same_as_tmux(watched: Watch, tmux: Tmux, timeout: float = 10.0) -> Screen:
    """Wait until the frames show exactly what tmux shows; fail showing both if they never do."""
    try:
        return tmux.wait_for(lambda reference: reference == watched.screen(), timeout)
    except AssertionError:
        raise AssertionError(
            f"the frames differ from tmux's screen.\ntmux:\n{show(tmux.screen())}\n"
            f"frames:\n{show(watched.screen())}"
        ) from None


class Both:
    """One program in the pty source and in tmux, driven by the same keys."""

    def __init__(self, watch: WatchFactory, tmux: Tmux, command: str) -> None:
        self.tmux = tmux
        # In tmux the pane must outlive the program (to be read after it quits).
        tmux.start(f"{REF_ENV}sh -c {shlex.quote(command + '; exec sleep 600')}")
        self.watched = watch(["sh", "-c", command], tmux.width, tmux.height, env=program_env())

    def keys(self, text: str = "", *, tmux_key: str | None = None, raw: str | None = None) -> None:
        """Type ``text`` (literally), or a named key: tmux's name for it and the bytes it sends."""
        if text:
            self.tmux.send_keys(text, literal=True)
            self.watched.source.write(text)
        if tmux_key is not None:
            assert raw is not None
            self.tmux.send_keys(tmux_key)
            self.watched.source.write(raw)

    def same(self, expect: Callable[[Screen], bool], timeout: float = 10.0) -> Screen:
        """Wait for tmux to show what ``expect`` says, then for the frames to show the same."""
        self.tmux.wait_for(expect, timeout)
        return same_as_tmux(self.watched, self.tmux, timeout)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    with Tmux(80, 24) as reference:
        yield reference


@pytest.fixture
def numbered(tmp_path: Path) -> Path:
    path = tmp_path / "numbered.txt"
    path.write_text("".join(f"line {n:03} of the file, with some text after it\n" for n in range(1, 201)))
    return path


def test_vim_editing_then_quitting_matches_tmux_and_leaves_the_alternate_screen(
    watch: WatchFactory, tmux: Tmux
) -> None:
    both = Both(watch, tmux, f"echo before vim; {VIM}")
    both.same(lambda s: s[1] == "~" and "before vim" not in s)
    both.keys("ihello world")
    both.same(lambda s: s[0] == "hello world" and "INSERT" in s[-1])
    both.keys(tmux_key="Escape", raw="\x1b")
    both.keys("yyp:s/world/there/\r")
    screen = both.same(lambda s: s[1] == "hello there")
    assert screen[:3] == ["hello world", "hello there", "~"]
    assert both.watched.frames[-1].cursor == tmux.cursor()
    both.keys(":q!\r")
    final = both.same(lambda s: s[0] == "before vim")
    assert final[1:] == [""] * 23
    both.watched.wait_done()
    assert both.watched.source.exit_status == 0
    assert both.watched.frames[-1].cursor == (0, 1)


def test_less_paging_searching_and_quitting_matches_tmux(
    watch: WatchFactory, tmux: Tmux, numbered: Path
) -> None:
    both = Both(watch, tmux, f"echo before less; less {numbered}")
    both.same(lambda s: s[0].startswith("line 001") and s[22].startswith("line 023"))
    both.keys(" ")
    both.same(lambda s: s[0].startswith("line 024"))
    both.keys("/line 150\r")
    both.same(lambda s: s[0].startswith("line 150"))
    both.keys("G")
    screen = both.same(lambda s: s[22].startswith("line 200"))
    assert screen[-1] == "(END)"
    both.keys("q")
    final = both.same(lambda s: s[0] == "before less")
    assert final[1:] == [""] * 23
    both.watched.wait_done()
    assert both.watched.source.exit_status == 0


def test_a_shell_prompt_with_colours_matches_tmux_and_keeps_its_colours(
    watch: WatchFactory, tmux: Tmux
) -> None:
    prompt = r"\[\e[1;32m\]glyphcast\[\e[0m\]:\[\e[34m\]\W\[\e[0m\]> "
    both = Both(watch, tmux, f"cd /; PS1='{prompt}' bash --norc --noprofile -i")
    both.same(lambda s: s[0] == "glyphcast:/>")
    both.keys("printf '\\033[31mred\\033[0m plain \\303\\251t\\303\\251 \\346\\227\\245\\346\\234\\254\\n'\r")
    # The command line wraps onto a second row; the output follows it.
    screen = both.same(lambda s: s[2] == "red plain été 日本" and s[3] == "glyphcast:/>")
    assert screen[0].startswith("glyphcast:/> printf")
    rows = both.watched.frames[-1].rows
    assert rows is not None
    assert rows[0].startswith("\x1b[0;1;32mglyphcast\x1b[0m:\x1b[0;34m/\x1b[0m> printf")
    assert rows[2].startswith("\x1b[0;31mred\x1b[0m plain")
    assert both.watched.frames[-1].cursor == tmux.cursor() == (13, 3)
    both.keys("exit 5\r")
    both.watched.wait_done()
    assert both.watched.source.exit_status == 5


def test_top_draws_its_screen_like_tmux_does_and_quits(watch: WatchFactory, tmux: Tmux) -> None:
    both = Both(watch, tmux, "top -d 5")
    reference = tmux.wait_for(lambda s: s[0].startswith("top - ") and any("PID" in row for row in s))
    ours = both.watched.wait_for(lambda s: s[0].startswith("top - ") and any("PID" in row for row in s))
    # The numbers move; the layout does not: the same summary rows and the same column header, in the same place.
    header = next(i for i, row in enumerate(reference) if "PID" in row)
    assert ours[header].split() == reference[header].split()
    assert [row.split(":")[0] for row in ours[1 : header - 1]] == [
        row.split(":")[0] for row in reference[1 : header - 1]
    ]
    both.keys("q")
    both.watched.wait_done()
    assert both.watched.source.exit_status == 0
