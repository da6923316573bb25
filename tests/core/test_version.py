"""The version is written in one place: glyphcast.__version__, which the package metadata is built from."""

from __future__ import annotations

import tomllib
from importlib.metadata import version

import glyphcast
from core_helpers import ROOT


def test_the_installed_metadata_carries_the_version_the_package_says() -> None:
    assert version("glyphcast") == glyphcast.__version__


def test_pyproject_takes_the_version_from_the_package_instead_of_repeating_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"], "a second copy of the version would drift"
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "core/glyphcast/__init__.py"
