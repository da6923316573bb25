"""``glyphcast`` CLI with one extra plugin that prints the client event hooks.

The browser tests start the server through this script instead of the
``glyphcast`` console script, so they can see what reached the engine's hooks
(a controller's keystrokes, commands, resizes) on the server's stdout. Every
other part is the real CLI, run in-process with the real plugin registry.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from glyphcast import hookimpl
from glyphcast.plugins import load_registry, reset_registry


class BrowserProbe:
    """Prints one line per client event: ``hook <json payload> <role>``."""

    @staticmethod
    def _say(hook: str, payload: Any, role: str) -> None:
        print(f"{hook} {json.dumps(payload)} {role}", flush=True)

    @hookimpl
    def client_input(self, data: str, client: Any) -> None:
        self._say("client_input", data, client.role)

    @hookimpl
    def client_command(self, command: Any, client: Any) -> None:
        self._say("client_command", command, client.role)

    @hookimpl
    def client_resize(self, width: int, height: int, client: Any) -> None:
        self._say("client_resize", [width, height], client.role)


if __name__ == "__main__":
    reset_registry(load_registry(extra_plugins=[("browser-probe", BrowserProbe())]))
    from glyphcast.cli import main

    sys.exit(main(sys.argv[1:]))
