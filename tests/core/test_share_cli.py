"""``glyphcast share`` in core: without glyphcast-pty it says which package to install (tests/pty runs it for real)."""

from __future__ import annotations

import pytest
from core_helpers import run_cli


def test_share_without_glyphcast_pty_says_which_package_to_install() -> None:
    from glyphcast.plugins import get_registry

    if "pty" in get_registry().sources:
        pytest.skip("glyphcast-pty is installed here (tests/pty runs share)")
    result = run_cli("share", "--display", "null", "--", "true")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["glyphcast: error: share needs the 'pty' source from the glyphcast-pty package, "
                     "which is not installed: pip install glyphcast-pty"]


def test_share_help_names_the_package_and_the_security_of_the_control_link() -> None:
    result = run_cli("share", "--help")
    assert result.returncode == 0
    assert "share that link like a password" in result.stdout
    assert "glyphcast share -- bash" in result.stdout
    assert "needs glyphcast-pty" in run_cli("--help").stdout
