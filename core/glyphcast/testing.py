"""pytest plugin for display authors: fixtures that drive a display with frames.

Loaded automatically (entry point ``pytest11``) wherever glyphcast is installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from glyphcast.frame import Frame, now_ms


def make_frames(count: int, width: int = 20, height: int = 5, start: int = 1) -> Iterator[Frame]:
    """``count`` frames where one row changes per frame, numbered from ``start``."""
    rows = [f"row {y}".ljust(width) for y in range(height)]
    for seq in range(start, start + count):
        rows[seq % height] = f"\x1b[3{seq % 8}mframe {seq} row {seq % height}\x1b[0m"
        yield Frame(tuple(rows), width, height, seq, now_ms())


@pytest.fixture
def frames() -> list[Frame]:
    """Thirty small frames, one row changing per frame."""
    return list(make_frames(30))
