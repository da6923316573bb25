"""docs/architecture.md stays true: every file, module, class and function it names exists.

The page walks one frame through the code by name. Each name it writes in
backquotes is checked here against the tree and the installed packages (tox
env ``docs`` installs every one):

- a path (``core/glyphcast/stream.py``, ``client/src/viewer.js``) or a file name
  (``fanout.py``) must exist;
- a dotted name that starts with a glyphcast package
  (``glyphcast_websocket.fanout.FanOut.pump``) must import and resolve;
- ``Class.member`` (``Outbox.next``, ``Connection.stalled``) must be a class of
  glyphcast's with that member, set on the class or on ``self`` in its code;
- a bare ``CamelCase`` name must be a name some glyphcast module defines or
  imports (or a class of the viewer's).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "architecture.md"
PACKAGES = ["glyphcast", *sorted(p.name.replace("-", "_") for p in (ROOT / "plugins").glob("glyphcast-*"))]
#: Names the page proposes before they exist (none today; the renames it proposed are made).
PROPOSED: set[str] = set()
#: Spans that look like names but are not glyphcast's: wire values and other projects' objects.
SUBPROTOCOL = re.compile(r"glyphcast\.\w+\.v\d+")


def spans() -> list[str]:
    text = PAGE.read_text("utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # the layer diagram
    return sorted({m.group(1) for m in re.finditer(r"`([^`\n]+)`", text)})


def modules() -> list[ModuleType]:
    found = []
    for name in PACKAGES:
        package = pytest.importorskip(
            name, reason=f"the page names code of every package; {name} is not installed"
        )
        found.append(package)
        for info in pkgutil.iter_modules(package.__path__, f"{name}."):
            if info.name.endswith("__main__"):
                continue
            found.append(importlib.import_module(info.name))
    return found


MODULES = modules()
#: Every name a glyphcast module defines or imports at module level, and the classes among them.
DEFINED: dict[str, list[Any]] = {}
for module in MODULES:
    for key, value in vars(module).items():
        DEFINED.setdefault(key, []).append(value)
CLASSES = {key: [v for v in values if inspect.isclass(v)] for key, values in DEFINED.items()}
VIEWER_CLASSES = {
    m.group(1)
    for path in (ROOT / "client" / "src").glob("*.js")
    for m in re.finditer(r"class (\w+)", path.read_text())
}
FILES = {
    p.name
    for d in ("core", "plugins", "client/src", "tests", "benchmarks")
    for p in (ROOT / d).rglob("*")
    if p.is_file()
}


def resolve_dotted(name: str) -> bool:
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            return False
        return True
    return False


def has_member(cls: type, member: str) -> bool:
    if hasattr(cls, member):
        return True
    for klass in cls.__mro__:
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        if re.search(rf"\bself\.{re.escape(member)}\s*[:=]", source):
            return True
    return False


def problem(span: str) -> str | None:
    """Why ``span`` names nothing that exists, or None when it does (or is not a name to check)."""
    name = span.split("(", 1)[0].rstrip(".")
    if "/" in name and re.fullmatch(r"[\w./-]+", name) and not name.startswith("/"):
        return None if (ROOT / name).exists() else f"no file {name}"
    if re.fullmatch(r"\w+\.(py|js|mjs)", name):
        return None if name in FILES else f"no file named {name}"
    if SUBPROTOCOL.fullmatch(name) or name in PROPOSED:
        return None
    if re.fullmatch(r"glyphcast(_\w+)?(\.\w+)+", name):
        return None if resolve_dotted(name) else f"{name} does not resolve"
    match = re.fullmatch(r"([A-Z]\w*)\.(\w+)", name)
    if match:
        owner, member = match.groups()
        if not CLASSES.get(owner):
            return f"no glyphcast class {owner}"
        return None if any(has_member(c, member) for c in CLASSES[owner]) else f"{owner} has no {member}"
    match = re.fullmatch(r"([a-z_]+)\.(\w+)", name)
    if match and any(m.__name__.rsplit(".", 1)[-1] == match.group(1) for m in MODULES):
        owners = [m for m in MODULES if m.__name__.rsplit(".", 1)[-1] == match.group(1)]
        return None if any(hasattr(m, match.group(2)) for m in owners) else f"no {name} in a glyphcast module"
    if re.fullmatch(r"[A-Z][a-z]+[A-Z]\w*|[A-Z][a-z]+", name):
        return None if name in DEFINED or name in VIEWER_CLASSES else f"glyphcast defines no {name}"
    return None


def test_the_page_names_code() -> None:
    checked = [s for s in spans() if "/" in s or "." in s]
    assert len(checked) > 50, "the page should walk the code by name"


@pytest.mark.parametrize("span", spans())
def test_every_name_on_the_page_exists(span: str) -> None:
    assert problem(span) is None, f"docs/architecture.md names `{span}`: {problem(span)}"


@pytest.mark.parametrize(
    "span",
    [
        "glyphcast_websocket.fanout.FanOut.pump_everything",
        "Outbox.send_now",
        "core/glyphcast/fanout.py",
        "sessions.py",
        "NoSuchHub",
        "handshake.choose_codec",
    ],
)
def test_a_name_that_does_not_exist_is_caught(span: str) -> None:
    assert problem(span) is not None
