"""Core is its own first plugin: built-in displays and sources register like anyone's."""

from __future__ import annotations

from glyphcast.demo import open_demo
from glyphcast.displays import MemoryDisplay, NullDisplay
from glyphcast.hookspecs import RegisterDisplay, RegisterSource, hookimpl
from glyphcast.terminal import open_terminal


@hookimpl
def register_displays(register: RegisterDisplay) -> None:
    register("terminal", open_terminal, "ANSI on this terminal, only changed rows redrawn")
    register("null", NullDisplay, "discards frames (benchmarks)")
    register("memory", MemoryDisplay, "keeps frames in memory (tests)")


@hookimpl
def register_sources(register: RegisterSource) -> None:
    register("demo", open_demo, "a deterministic animation: colours, styles, wide characters, motion")
