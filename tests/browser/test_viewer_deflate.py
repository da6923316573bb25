"""Shared permessage-deflate in real Chromium: the browser negotiates it with the hub and the
viewer paints exactly what the engine showed, with compression on and off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import glyphcast
import pytest
from glyphcast.text import strip_ansi

pytestmark = pytest.mark.timeout(120)

ROWS = [f"\x1b[3{n % 8}mrow {n}: " + "glyph " * 8 + "\x1b[0m" for n in range(6)]


@pytest.fixture
def hub(viewer_built: None, request: Any) -> Iterator[Any]:
    display = glyphcast.open_display("websocket", host="127.0.0.1", port=0, compression=request.param)
    display.init(60, len(ROWS))
    try:
        yield display
    finally:
        display.cleanup()


@pytest.mark.parametrize(("hub", "offered"), [(True, True), (False, False)], indirect=["hub"])
@pytest.mark.parametrize("codec", ["json", "diff"])
def test_chromium_negotiates_deflate_and_paints_the_same_screens(
    hub: Any, offered: bool, codec: str, open_viewer: Any
) -> None:
    hub.show(ROWS)
    viewer = open_viewer(f"http://127.0.0.1:{hub.port}/?codec={codec}")
    viewer.wait_live()
    extensions = viewer.eval("() => glyphcast._ws.extensions")
    assert ("permessage-deflate" in extensions) is offered, extensions
    for n in range(1, 6):
        rows = ROWS[n:] + ROWS[:n]
        hub.show(rows)
        viewer.wait("(seq) => glyphcast.paintedSeq === seq", n + 1, timeout=5)
        assert viewer.eval("() => glyphcast.rows()") == [strip_ansi(row).rstrip() for row in rows]
    assert viewer.errors == []
