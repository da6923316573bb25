"""Core is its own first plugin: built-in displays and sources register like anyone's."""

from __future__ import annotations

from glyphcast.displays import MemoryDisplay, NullDisplay
from glyphcast.hookspecs import RegisterDisplay, hookimpl


@hookimpl
def register_displays(register: RegisterDisplay) -> None:
    register("null", NullDisplay, "discards frames (benchmarks)")
    register("memory", MemoryDisplay, "keeps frames in memory (tests)")
