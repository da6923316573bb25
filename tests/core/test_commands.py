"""Commands come from plugins (the ``register_commands`` hook): core's CLI has ``run`` and ``plugins``,
and a plugin's command is there exactly when the plugin is installed.

tests/core/test_plugins.py installs a third-party command as a real
distribution; tests/all/test_plugin_commands.py checks glyphcast's own plugins bring
``share``, ``replay`` and ``serve``.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable

import pytest
from core_helpers import run_cli
from glyphcast import cli, hookimpl
from glyphcast.commandline import UsageError, positive_int
from glyphcast.displays import MemoryDisplay
from glyphcast.play import default_displays
from glyphcast.plugins import get_registry, load_registry, reset_registry


def commands_in_help(text: str) -> list[str]:
    """The commands ``glyphcast --help`` lists, in order."""
    return re.findall(r"^    ([a-z][\w-]*)(?:\s|$)", text, re.M)


def installed_plugins() -> list[str]:
    return [p["name"] for p in json.loads(run_cli("plugins", "--json").stdout) if p["name"] != "glyphcast"]


def test_help_lists_run_and_plugins_and_each_installed_plugins_commands() -> None:
    listed = json.loads(run_cli("plugins", "--json").stdout)
    from_plugins = sorted(
        name for plugin in listed if plugin["name"] != "glyphcast" for name in plugin["commands"]
    )
    result = run_cli("--help")
    assert result.returncode == 0
    assert commands_in_help(result.stdout) == ["run", *from_plugins, "plugins"]


def test_with_no_plugin_installed_help_lists_only_run_and_plugins() -> None:
    """What `pip install glyphcast` alone gives (disabling every plugin here is the same as not installing it)."""
    result = run_cli("--help", GLYPHCAST_DISABLE_PLUGINS=",".join(installed_plugins()))
    assert result.returncode == 0 and result.stderr == ""
    assert commands_in_help(result.stdout) == ["run", "plugins"]


@pytest.mark.parametrize("command", ["share", "replay", "serve"])
def test_a_command_whose_plugin_is_not_installed_is_one_line_and_exit_2(command: str) -> None:
    result = run_cli(command, "--", "x", GLYPHCAST_DISABLE_PLUGINS=",".join(installed_plugins()))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert f"invalid choice: '{command}' (choose from 'run', 'plugins')" in lines[0]
    assert "plugins add commands once installed (glyphcast plugins lists what is)" in lines[0]
    assert "Traceback" not in result.stderr


def test_without_display_run_picks_websocket_if_installed_else_terminal() -> None:
    expected = "websocket" if "websocket" in get_registry().displays else "terminal"
    assert default_displays(get_registry()) == [expected]


# -- in process: a plugin's commands ---------------------------------------------------
class Greets:
    """A plugin with a command and a display, as a plugin author writes them."""

    seen: list[argparse.Namespace] = []

    @staticmethod
    def configure(parser: argparse.ArgumentParser) -> None:
        parser.description = "Greet someone."
        parser.add_argument("--name", default="world")
        parser.add_argument("--times", type=positive_int, default=1)

    @staticmethod
    def greet(args: argparse.Namespace) -> int:
        Greets.seen.append(args)
        if args.name == "nobody":
            raise UsageError("greet needs somebody to greet: --name NAME")
        print(f"hello {args.name}\n" * args.times, end="")
        return 7

    @hookimpl
    def register_commands(self, register: Callable[..., None]) -> None:
        register("greet", self.configure, self.greet, "greet someone")

    @hookimpl
    def register_displays(self, register: Callable[..., None]) -> None:
        register("greeting-memory", MemoryDisplay)


def test_a_plugins_command_runs_with_its_parsed_arguments_and_its_status_is_the_exit_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    reset_registry(load_registry(extra_plugins=[("greets", Greets())]))
    assert cli.main(["greet", "--name", "ada", "--times", "2"]) == 7
    assert capsys.readouterr().out == "hello ada\nhello ada\n"
    assert Greets.seen[-1].command == "greet" and Greets.seen[-1].name == "ada"
    assert get_registry().plugins["greets"].commands == ["greet"]


def test_a_plugins_command_is_in_help_its_own_help_and_plugins(capsys: pytest.CaptureFixture[str]) -> None:
    reset_registry(load_registry(extra_plugins=[("greets", Greets())]))
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert commands_in_help(capsys.readouterr().out)[:2] == ["run", "greet"]
    with pytest.raises(SystemExit):
        cli.main(["greet", "--help"])
    assert "Greet someone." in capsys.readouterr().out
    assert cli.main(["plugins"]) == 0
    assert re.search(
        r"greets \? .*\n  displays  greeting-memory\n  commands  greet\n", capsys.readouterr().out
    )


def test_a_plugins_command_reports_a_usage_error_in_one_line_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    reset_registry(load_registry(extra_plugins=[("greets", Greets())]))
    assert cli.main(["greet", "--name", "nobody"]) == 2
    assert capsys.readouterr().err == "glyphcast: error: greet needs somebody to greet: --name NAME\n"
    with pytest.raises(SystemExit) as exited:
        cli.main(["greet", "--times", "0"])  # the command's own argument types: argparse's one-line errors
    assert exited.value.code == 2
    assert "glyphcast greet: error: argument --times: expected a whole number >= 1" in capsys.readouterr().err


class RaisesInRegisterCommands:
    @hookimpl
    def register_displays(self, register: Callable[..., None]) -> None:
        register("left-behind", MemoryDisplay)

    @hookimpl
    def register_commands(self, register: Callable[..., None]) -> None:
        register("half-registered", Greets.configure, Greets.greet)
        raise RuntimeError("no configuration")


class RaisesInConfigure:
    @hookimpl
    def register_commands(self, register: Callable[..., None]) -> None:
        def configure(parser: argparse.ArgumentParser) -> None:
            parser.add_argument("--half")
            raise ValueError("bad default")

        register("misconfigured", configure, Greets.greet)


def test_a_plugin_whose_register_commands_raises_is_named_and_skipped_with_everything_it_registered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    reset_registry(
        load_registry(extra_plugins=[("raises", RaisesInRegisterCommands()), ("greets", Greets())])
    )
    registry = get_registry()
    assert "registration raised RuntimeError: no configuration" in str(registry.plugins["raises"].error)
    assert "half-registered" not in registry.commands and "left-behind" not in registry.displays
    assert cli.main(["greet"]) == 7  # the others load
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "half-registered" not in capsys.readouterr().out


def test_a_command_whose_arguments_raise_is_left_out_naming_its_plugin(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    reset_registry(
        load_registry(extra_plugins=[("misconfigured", RaisesInConfigure()), ("greets", Greets())])
    )
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    listed = commands_in_help(capsys.readouterr().out)  # with the installed plugins' commands too
    assert "greet" in listed and "misconfigured" not in listed
    assert (
        "plugin 'misconfigured': command 'misconfigured' was skipped: its arguments raised ValueError: bad default"
        in caplog.text
    )
    with pytest.raises(SystemExit) as exited:
        cli.main(["misconfigured", "--half", "x"])
    assert exited.value.code == 2


def test_the_first_plugin_to_register_a_command_keeps_it_and_run_and_plugins_stay_cores(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    class Shadows:
        @hookimpl
        def register_commands(self, register: Callable[..., None]) -> None:
            register("greet", Greets.configure, lambda args: 99)
            register("run", Greets.configure, lambda args: 99)

    reset_registry(load_registry(extra_plugins=[("greets", Greets()), ("shadows", Shadows())]))
    assert cli.main(["greet"]) == 7
    assert cli.main(["run", "--display", "null", "--frames", "1", "--fps", "100"]) == 0
    assert "registers command 'greet', already registered by 'greets'; keeping the first" in caplog.text
    assert "registers command 'run', which is glyphcast's own; ignored" in caplog.text
