"""Every package writes its version once (its ``__version__``); the metadata hatch builds says the same."""

from __future__ import annotations

import importlib
import tomllib
from importlib.metadata import version

import pytest
from test_import_layers import PACKAGES


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_each_package_writes_its_version_once(package: str) -> None:
    module = importlib.import_module(package)
    source = PACKAGES[package].parent
    pyproject = (
        source if (source / "pyproject.toml").is_file() else source.parent
    ) / "pyproject.toml"  # core's is at the root
    project = tomllib.loads(pyproject.read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"], pyproject
    assert version(project["name"]) == module.__version__
