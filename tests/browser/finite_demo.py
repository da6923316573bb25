"""A probe plugin for the browser tests: source ``demo-then-end``, the demo for ``frames`` frames, then
the source ends, so ``glyphcast run`` ends the stream (viewers get the final frame and ``end``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glyphcast import Cue, hookimpl
from glyphcast.demo import DemoSource


class FiniteDemo(DemoSource):
    end_reason = "the demo ended"

    def __init__(
        self, width: int = 80, height: int = 24, frames: int = 60, seed: int = 0, fps: float = 30.0
    ) -> None:
        super().__init__(width, height, seed, fps)
        self.frames = frames

    def __iter__(self) -> Iterator[Cue]:
        for n in range(self.frames):
            yield Cue(rows=self.frame(n))


@hookimpl
def register_sources(register: Any) -> None:
    register("demo-then-end", FiniteDemo, "the demo for N frames, then the end")
