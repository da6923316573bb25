"""The examples in docs/plugins.md's "Handing frames over" section run as written and do what it says."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from core_helpers import ROOT
from glyphcast import Stream
from glyphcast.testing import make_frames


def handoff_examples() -> dict[str, Any]:
    """Execute the section's Python blocks in order, in one namespace (the second reuses the first's imports)."""
    text = (ROOT / "docs" / "plugins.md").read_text()
    section = text.split("## Handing frames over", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 2, "one example per handoff"
    written: list[str] = []
    namespace: dict[str, Any] = {"send_to_device": written.append, "written": written}
    for block in blocks:
        exec(compile(block, "docs/plugins.md", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace


def test_the_latest_slot_example_writes_the_newest_frame() -> None:
    examples = handoff_examples()
    display = examples["TickerDisplay"](width=20, height=5)
    frames = list(make_frames(50))
    with Stream([("ticker", display)], width=20, height=5) as stream:
        for frame in frames:
            stream.show_frame(frame)
    written = examples["written"]
    assert 1 <= len(written) <= 50
    assert written[-1] == frames[-1].rows[0], "the newest frame was not the last one written"


def test_the_lossless_queue_example_writes_every_frame_in_order(tmp_path: Path) -> None:
    examples = handoff_examples()
    path = tmp_path / "frames.log"
    display = examples["LogDisplay"](width=20, height=5, path=str(path))
    frames = list(make_frames(300))
    with Stream([("log", display)], width=20, height=5) as stream:
        for frame in frames:
            stream.show_frame(frame)
        assert "waiting" in stream.status()
    assert path.read_text().splitlines() == [frame.rows[0] for frame in frames]
    assert not any(t.name == display.worker.name and t.is_alive() for t in threading.enumerate())
