"""The hookspec module is the plugin documentation: every hook is documented and tested."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from glyphcast import hookspecs

ROOT = Path(__file__).resolve().parents[2]
HOOKS = sorted(
    name for name, fn in vars(hookspecs).items() if inspect.isfunction(fn) and hasattr(fn, "glyphcast_spec")
)


def test_there_are_hooks_to_check() -> None:
    assert {"register_displays", "register_codecs", "display_error", "marker"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docstring(hook: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert len(doc.split()) >= 5, f"hook {hook} needs a docstring a plugin author can learn from"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_in_the_plugin_guide(hook: str) -> None:
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert f"`{hook}(" in guide, f"docs/plugins.md does not document hook {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_exercised_by_a_test(hook: str) -> None:
    """Some test implements the hook (``def hook(``) or checks it fires (``hook().hook`` / ``.hook.hook``)."""
    pattern = re.compile(rf"def {hook}\(|\.{hook}\b")
    this_file = Path(__file__).resolve()
    for path in (ROOT / "tests").rglob("*.py"):
        if path.resolve() != this_file and pattern.search(path.read_text(encoding="utf-8")):
            return
    pytest.fail(f"no test under tests/ implements or fires hook {hook}")
