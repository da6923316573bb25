"""Plugin loading: a third-party plugin installed as a real distribution, broken ones named and skipped.

The example plugins under tests/plugins/ are installed with pip into a throwaway
venv that also sees this environment's packages (glyphcast, pluggy, pytest), so
they are found exactly as users' plugins are: through their entry points.
"""

from __future__ import annotations

import importlib.util
import json
import re
import site
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from core_helpers import ROOT, run_cli
from glyphcast import PluginWarning, hookimpl
from glyphcast.displays import MemoryDisplay
from glyphcast.plugins import load_registry

PLUGINS = ROOT / "tests" / "plugins"


@pytest.fixture(scope="module")
def plugin_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The python of a venv where glyphcast-example and glyphcast-broken are installed."""
    venv = tmp_path_factory.mktemp("plugin-env") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
    python = str(venv / "bin" / "python")
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # addsitedir (not a plain path) so this env's own .pth files, e.g. glyphcast's editable install, apply too.
    parents = "".join(f"import site; site.addsitedir({p!r})\n" for p in site.getsitepackages())
    Path(purelib, "zz_glyphcast_test_parent_env.pth").write_text(parents, encoding="utf-8")
    # Offline when this env has the build backend; otherwise pip fetches hatchling into an isolated build env.
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("hatchling") else []
    install = subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--disable-pip-version-check",
            *isolation,
            str(PLUGINS / "glyphcast-example"),
            str(PLUGINS / "glyphcast-broken"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    return python


def listed(python: str, **env: str) -> dict[str, dict[str, object]]:
    result = run_cli(
        "plugins", "--json", python=python, timeout=30, **env
    )  # timeout named, so no **env key can be it
    assert result.returncode == 0, result.stderr
    return {p["name"]: p for p in json.loads(result.stdout)}


def test_an_installed_plugin_is_listed_with_version_displays_and_hooks(plugin_python: str) -> None:
    plugins = listed(plugin_python)
    example = plugins["example"]
    assert example["version"] == "0.3.1"
    assert example["displays"] == ["example-upper"]
    assert example["commands"] == ["example-shout"]
    assert example["hooks"] == ["register_commands", "register_displays"]
    assert example["error"] is None
    assert plugins["glyphcast"]["displays"] == ["terminal", "null", "memory"]


def test_broken_plugins_are_named_in_a_warning_and_skipped_while_the_others_load(plugin_python: str) -> None:
    result = run_cli("plugins", python=plugin_python)
    assert result.returncode == 0
    warned = result.stderr.splitlines()
    assert any("'broken-import'" in line and "glyphcast_missing_dependency" in line for line in warned), (
        warned
    )
    assert any("'broken-hook'" in line and "register_display" in line for line in warned), warned
    assert "example 0.3.1" in result.stdout and "example-upper" in result.stdout
    assert re.search(
        r"broken-import 0\.0\.1 .*\n  SKIPPED   import failed: ModuleNotFoundError", result.stdout
    )
    plugins = listed(plugin_python)
    assert "unknown hook(s) register_display" in str(plugins["broken-hook"]["error"])
    assert plugins["broken-hook"]["displays"] == []


def test_the_plugins_display_runs_when_selected_by_name(plugin_python: str, tmp_path: Path) -> None:
    out = tmp_path / "upper.txt"
    result = run_cli(
        "run",
        "--display",
        f"example-upper:path={out},prefix=>",
        "--frames",
        "4",
        "--fps",
        "100",
        "--size",
        "40x12",
        python=plugin_python,
    )
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("seq 4\n")
    assert "> ◆ GLYPHCAST DEMO" in text and "FRAME 000003" in text


def test_an_installed_plugins_command_is_in_help_and_runs(plugin_python: str) -> None:
    listed_help = run_cli("--help", python=plugin_python)
    assert listed_help.returncode == 0
    assert re.search(
        r"^    example-shout\s+print words in capitals \(example plugin\)$", listed_help.stdout, re.M
    )
    result = run_cli("example-shout", "hello", "there", "--status", "3", python=plugin_python)
    assert (result.returncode, result.stdout) == (3, "HELLO THERE\n"), result.stderr
    assert "Print WORDS in capitals" in run_cli("example-shout", "--help", python=plugin_python).stdout


def test_a_plugin_whose_register_commands_raises_is_named_and_skipped_with_all_it_registered(
    plugin_python: str,
) -> None:
    result = run_cli("--help", python=plugin_python)
    assert result.returncode == 0
    assert any(
        "'broken-command'" in line and "its configuration file is missing" in line
        for line in result.stderr.splitlines()
    ), result.stderr
    assert "broken-half" not in result.stdout and "broken-command-display" not in result.stdout
    assert "example-shout" in result.stdout  # the others load
    broken = listed(plugin_python)["broken-command"]
    assert "registration raised RuntimeError: its configuration file is missing" in str(broken["error"])
    assert broken["commands"] == [] and broken["displays"] == []


def test_disabled_plugins_are_not_loaded(plugin_python: str) -> None:
    plugins = listed(plugin_python, GLYPHCAST_DISABLE_PLUGINS="example, broken-import")
    assert "example" not in plugins and "broken-import" not in plugins
    assert "broken-hook" in plugins and "glyphcast" in plugins
    assert (
        "example-shout"
        not in run_cli("--help", python=plugin_python, GLYPHCAST_DISABLE_PLUGINS="example").stdout
    )


def test_a_display_of_a_disabled_plugin_is_said_to_be_disabled_not_unknown(plugin_python: str) -> None:
    """A broken plugin disabled too (its import fails) explains nothing, and leaves the answer as it is."""
    result = run_cli(
        "run",
        "--display",
        "example-upper",
        "--frames",
        "1",
        python=plugin_python,
        GLYPHCAST_DISABLE_PLUGINS="broken-import,example",
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("glyphcast: error: ")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(
        "glyphcast: error: display 'example-upper' is disabled by GLYPHCAST_DISABLE_PLUGINS (plugin 'example': "
    ), result.stderr
    result = run_cli(
        "run",
        "--display",
        "nosuch",
        "--frames",
        "1",
        python=plugin_python,
        GLYPHCAST_DISABLE_PLUGINS="broken-import,example",
    )
    assert result.returncode == 2 and "unknown display 'nosuch'" in result.stderr


def test_a_plugin_author_runs_the_conformance_suite_on_their_display(
    plugin_python: str, tmp_path: Path
) -> None:
    test_file = tmp_path / "test_upper_conformance.py"
    test_file.write_text(
        "from glyphcast.testing import DisplayConformance\n"
        "from glyphcast_example.plugin import UpperDisplay\n\n\n"
        "class TestUpperConformance(DisplayConformance):\n"
        "    def make_display(self):\n"
        "        return UpperDisplay()\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [plugin_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert re.search(r"\b1[0-9] passed", result.stdout), result.stdout[-500:]


# -- in-process: what the loader does with a bad plugin --------------------------------
class Misspelled:
    @hookimpl
    def register_sauces(self, register: object) -> None:
        """Not a hook."""


class RaisesWhileRegistering:
    @hookimpl
    def register_displays(self, register: object) -> None:
        register("half-registered", MemoryDisplay)  # type: ignore[operator]
        raise RuntimeError("config file missing")

    @hookimpl
    def register_sources(self, register: object) -> None:
        """Registers nothing, but is a registration hook too."""


class Good:
    @hookimpl
    def register_displays(self, register: object) -> None:
        register("good-memory", MemoryDisplay, "fine")  # type: ignore[operator]


def test_a_bad_hookimpl_or_a_raising_registration_skips_only_that_plugin() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry = load_registry(
            extra_plugins=[
                ("misspelled", Misspelled()),
                ("raises", RaisesWhileRegistering()),
                ("good", Good()),
            ]
        )
    messages = [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]
    assert any("'misspelled'" in m and "register_sauces" in m for m in messages), messages
    assert any("'raises'" in m and "config file missing" in m for m in messages), messages
    assert "good-memory" in registry.displays and "terminal" in registry.displays
    assert "half-registered" not in registry.displays  # a failed plugin leaves nothing behind
    assert registry.plugins["raises"].error is not None and registry.plugins["good"].error is None


def test_the_first_registration_of_a_name_wins() -> None:
    class Shadow:
        @hookimpl
        def register_displays(self, register: object) -> None:
            register("terminal", MemoryDisplay)  # type: ignore[operator]

    registry = load_registry(extra_plugins=[("shadow", Shadow())])
    assert registry.displays["terminal"].plugin == "glyphcast"
    assert registry.plugins["shadow"].displays == []
