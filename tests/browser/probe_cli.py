"""``glyphcast`` CLI with one extra plugin: the browser tests' eyes inside the server.

The browser tests start the server through this script instead of the
``glyphcast`` console script. Everything is the real CLI, run in-process with
the real plugin registry, plus a ``browser-probe`` plugin that
- prints the client event hooks on stdout (``client_input "h" controller``),
  so a test sees what reached the engine;
- registers a ``frame-log`` display, shown side by side with the websocket
  display on the same stream: it appends every frame (seq, size, rows) to a
  JSON-lines file, so a test can look up the exact frame a viewer shows.

``$GLYPHCAST_PROBE_PLUGINS`` adds plugins that are not installed, as if they
were: a JSON object ``{"name": "path/to/file.py"}`` registers that file as a
module plugin, and ``"path/to/file.py:factory"`` registers what calling
``factory()`` in it returns (a module or an object with hooks). The
third-party codec test uses it to serve the example plugin of docs/plugins.md,
taken from the page by tests/all/test_third_party_codec.py's ``example_plugin``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

from glyphcast import hookimpl
from glyphcast.display import FrameDisplay
from glyphcast.frame import Frame
from glyphcast.plugins import load_registry, reset_registry


class FrameLog(FrameDisplay):
    """Appends each frame as one JSON line: {"seq", "width", "height", "rows"}."""

    def __init__(self, width: int = 80, height: int = 24, path: str = "frames.jsonl") -> None:
        super().__init__(width, height)
        self.path = path
        self._file: Any = None

    def start(self) -> None:
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in stop()

    def deliver(self, frame: Frame) -> None:
        # A test probe, not a real display: a small buffered write per frame is fine here.
        record = {"seq": frame.seq, "width": frame.width, "height": frame.height, "rows": list(frame.rows)}
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def stop(self) -> None:
        if self._file is not None:
            self._file.close()


class BrowserProbe:
    """Prints one line per client event, ``hook <json payload> <role>``; adds ``frame-log``."""

    @staticmethod
    def _say(hook: str, payload: Any, role: str) -> None:
        print(f"{hook} {json.dumps(payload)} {role}", flush=True)

    @hookimpl
    def register_displays(self, register: Any) -> None:
        register("frame-log", FrameLog, "appends every frame to a JSON-lines file (browser tests)")

    @hookimpl
    def client_input(self, data: str, client: Any) -> None:
        self._say("client_input", data, client.role)

    @hookimpl
    def client_command(self, command: Any, client: Any) -> None:
        self._say("client_command", command, client.role)

    @hookimpl
    def client_resize(self, width: int, height: int, client: Any) -> None:
        self._say("client_resize", [width, height], client.role)


PLUGINS_ENV = "GLYPHCAST_PROBE_PLUGINS"


def plugins_from_env() -> list[tuple[str, object]]:
    """The plugins ``$GLYPHCAST_PROBE_PLUGINS`` names (see the module docstring)."""
    extra: list[tuple[str, object]] = []
    for name, spec in json.loads(os.environ.get(PLUGINS_ENV) or "{}").items():
        path, _, factory = (spec, "", "") if spec.endswith(".py") else spec.rpartition(":")
        found = importlib.util.spec_from_file_location(f"browser_probe_plugin_{name}", Path(path))
        assert found is not None and found.loader is not None, f"{PLUGINS_ENV}: cannot load {path}"
        module = importlib.util.module_from_spec(found)
        found.loader.exec_module(module)
        extra.append((name, getattr(module, factory)() if factory else module))
    return extra


if __name__ == "__main__":
    reset_registry(load_registry(extra_plugins=[("browser-probe", BrowserProbe()), *plugins_from_env()]))
    from glyphcast.cli import main

    sys.exit(main(sys.argv[1:]))
