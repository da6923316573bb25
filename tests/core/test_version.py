"""The version is written in one place: glyphcast.__version__, which the package metadata is built from."""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points, version
from types import SimpleNamespace

import glyphcast
import pytest
from core_helpers import ROOT, run_cli
from glyphcast import cli


def test_the_installed_metadata_carries_the_version_the_package_says() -> None:
    assert version("glyphcast") == glyphcast.__version__


def test_pyproject_takes_the_version_from_the_package_instead_of_repeating_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"], "a second copy of the version would drift"
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "core/glyphcast/__init__.py"


# -- glyphcast --version: core and every installed plugin distribution, one per line -----
def test_version_prints_core_first_then_every_plugin_distribution_installed() -> None:
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"glyphcast {glyphcast.__version__}"
    plugins = {
        ep.dist.name: ep.dist.version
        for ep in entry_points(group="glyphcast")
        if ep.dist is not None and ep.dist.name != "glyphcast"
    }
    assert lines[1:] == [f"{name} {plugins[name]}" for name in sorted(plugins)]


def test_version_lists_a_plugin_from_its_metadata_even_if_it_would_not_import(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fake(name: str, version: str) -> SimpleNamespace:
        return SimpleNamespace(dist=SimpleNamespace(name=name, version=version))

    installed = [
        fake("glyphcast-zeta", "2.0"),
        fake("glyphcast-alpha", "0.3.1"),
        fake("glyphcast-zeta", "2.0"),
    ]
    monkeypatch.setattr(cli, "entry_points", lambda group: installed if group == "glyphcast" else [])
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == (
        f"glyphcast {glyphcast.__version__}\nglyphcast-alpha 0.3.1\nglyphcast-zeta 2.0\n"
    )


def test_the_core_extras_name_every_plugin_distribution() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = project["project"]["optional-dependencies"]
    plugins = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())
    assert sorted(req.split(">")[0] for req in extras["all"]) == plugins
    assert {req.split(">")[0] for req in extras["websocket"]} == {"glyphcast-websocket", "glyphcast-json"}
