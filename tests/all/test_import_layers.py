"""Layers hold: no import cycles inside a package, core imports no plugin, the hub imports no display."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "glyphcast": ROOT / "core" / "glyphcast",
    **{
        path.name.replace("-", "_"): path / path.name.replace("-", "_")
        for path in (ROOT / "plugins").iterdir()
        if (path / path.name.replace("-", "_")).is_dir()
    },
}
#: The hub's modules: they learn about displays only through events.HubListener.
HUB = {
    "hub",
    "router",
    "fanout",
    "session",
    "delivery",
    "handshake",
    "pages",
    "wsio",
    "events",
    "loopthread",
    "registry",
    "security",
    "decisions",
    "credentials",
    "hosts",
    "throttle",
    "messages",
    "settings",
    "tls",
    "ratelog",
    "named_stream",
    "intake",
    "listener",
    "request_head",
    "quote",
}
DISPLAYS = {"display", "legacy", "seed", "plugin", "options"}


def imports_of(path: Path) -> set[str]:
    """Absolute module names imported anywhere in ``path`` (also inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def graph(package: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (by short name)."""
    directory = PACKAGES[package]
    modules = {p.stem for p in directory.glob("*.py")}
    edges: dict[str, set[str]] = {}
    for path in directory.glob("*.py"):
        edges[path.stem] = {
            name.split(".")[1]
            for name in imports_of(path)
            if name.startswith(package + ".")
            and name.split(".")[1] in modules
            and name.split(".")[1] != path.stem
        }
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_import_cycle_inside_a_package(package: str) -> None:
    cycle = find_cycle(graph(package))
    assert cycle is None, f"{package}: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_core_imports_no_plugin() -> None:
    plugins = {name for name in PACKAGES if name != "glyphcast"}
    for path in PACKAGES["glyphcast"].glob("*.py"):
        leaked = {name for name in imports_of(path) if name.split(".")[0] in plugins}
        assert not leaked, f"{path.name} imports {leaked}"


def test_the_hub_imports_no_display() -> None:
    edges = graph("glyphcast_websocket")
    assert HUB <= set(edges), "a hub module was renamed: update HUB"
    for module in HUB:
        assert not edges[module] & DISPLAYS, f"{module} imports {edges[module] & DISPLAYS}"


def test_cores_command_line_names_no_plugin() -> None:
    """core/glyphcast/cli.py knows plugins only through hooks: no plugin's distribution, package, or any
    display, source, codec or command a plugin registers appears in it, in code or in text."""
    from glyphcast.plugins import Command, Entry, load_registry

    registry = load_registry()
    plugin_entries: list[Entry | Command] = [
        *registry.displays.values(),
        *registry.sources.values(),
        *registry.commands.values(),
    ]
    forbidden = {entry.name for entry in plugin_entries if entry.plugin != "glyphcast"}
    forbidden |= {
        name
        for name, info in registry.plugins.items()
        if name != "glyphcast" and info.codecs
        for name in info.codecs
    }
    for project in (ROOT / "plugins").iterdir():
        forbidden |= {project.name, project.name.replace("-", "_")}
    assert {"websocket", "record", "pty", "replay", "share", "serve", "glyphcast-pty"} <= forbidden

    source = PACKAGES["glyphcast"] / "cli.py"
    words: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            words.update(re.findall(r"[\w.-]*\w", node.value))
        elif isinstance(node, ast.Name):
            words.add(node.id)
        elif isinstance(node, ast.Attribute):
            words.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            words.add(node.name)
        elif isinstance(node, ast.arg):
            words.add(node.arg)
        elif isinstance(node, ast.alias):
            words.update(node.name.split("."))
    assert not words & forbidden, f"cli.py names plugins' things: {sorted(words & forbidden)}"
